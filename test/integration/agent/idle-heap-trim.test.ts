/**
 * IdleHeapTrim against real V8, under the agent image's flags: a burst grows the young generation
 * and promotes objects into the old one; once idle, one full collection runs (the `gc()` the image's
 * --expose-gc gives, as the agent calls it) and V8 shrinks the young generation back to 1 MB
 * (docs/agent.md, Memory).
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AGENT_PROGRAM, imageNodeFlags } from '../../../bench/targets/bundled-runner.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MB = 1024 * 1024;

test('the image runs the agent with --expose-gc; once idle, a full collection runs and a young generation grown by a burst shrinks back to 1 MB', () => {
  const flags = imageNodeFlags(ROOT, AGENT_PROGRAM);
  assert.ok(flags.includes('--expose-gc'), `image flags: ${flags.join(' ')}`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', ...flags, join(ROOT, 'test/support/young-gen-child.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const r = JSON.parse(out.trim()) as { afterBurst: number; afterIdle: number; trims: number; fullCollections: number; idleMs: number };
  assert.ok(r.afterBurst > 2 * MB, `the burst grew the young generation (${r.afterBurst} bytes)`);
  assert.is(r.afterIdle, MB, `idle: back to 1 MB (${r.afterIdle} bytes after ${r.idleMs} ms)`);
  assert.is(r.fullCollections, 1, `one full collection once idle (scavenges after it: ${r.trims})`);
});

test.run();
