import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractBase, withBaseVariants } from '../../../bench/base-tree.ts';
import type { TargetContext, TargetDef } from '../../../bench/targets/target.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

const def = (id: string, seen: TargetContext[]): TargetDef => ({
  id,
  title: id,
  description: `the ${id}`,
  freshEachRound: true,
  start: async (ctx) => {
    seen.push(ctx);
    throw new Error('not started');
  },
});

test('each agent target gets a base variant right after it, run from the base tree with its own scratch directory', async () => {
  const seen: TargetContext[] = [];
  const defs = withBaseVariants([def('direct', seen), def('agent-hop', seen), def('haproxy', seen), def('agent-hop-obs', seen)], '/b', 'abcdef1234567');
  assert.equal(defs.map((d) => d.id), ['direct', 'agent-hop', 'agent-hop@base', 'haproxy', 'agent-hop-obs', 'agent-hop-obs@base']);
  const base = defs[2]!;
  assert.is(base.title, 'agent-hop (base abcdef1)');
  assert.is(base.freshEachRound, true);
  const dir = mkdtempSync(join(tmpdir(), 'base-variant-'));
  try {
    await base.start({ repoRoot: ROOT, workDir: dir, pinning: { proxy: undefined, upstream: undefined, load: undefined, loadThreads: 1, note: '' } as TargetContext['pinning'], upstreamPort: 1 }).catch(() => {});
    assert.equal(seen.map((c) => [c.agentRoot, c.workDir]), [['/b', join(dir, 'base')]]);
    assert.ok(existsSync(join(dir, 'base')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the base tree: the revision's committed files and the working tree's node_modules", () => {
  const dir = mkdtempSync(join(tmpdir(), 'base-tree-'));
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    assert.is(extractBase(ROOT, 'HEAD', dir), head);
    assert.ok(existsSync(join(dir, 'agent/main.ts')));
    assert.ok(existsSync(join(dir, 'scripts/bundle.ts')));
    assert.is(realpathSync(join(dir, 'node_modules')), realpathSync(join(ROOT, 'node_modules')));
    assert.throws(() => extractBase(ROOT, 'no-such-revision-xyz', join(dir, 'other')), /--base no-such-revision-xyz: no such commit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
