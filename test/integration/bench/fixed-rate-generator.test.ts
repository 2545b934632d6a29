/**
 * The bench's fixed-rate generator runs from a bundle made once per scratch directory (not through
 * tsx, which compiled it again before every run), and that bundle holds a fixed rate against a
 * loopback server and reports every request.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generatorArgs, runFixedRateChild } from '../../../bench/load/fixed-rate-child.ts';

test('the generator runs from a bundle in the scratch directory, made once, and holds its rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-fixed-rate-'));
  const body = Buffer.alloc(64, 120);
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const args = await generatorArgs(dir);
    assert.equal(args, [join(dir, 'build/fixed-rate/fixed-rate.mjs')], args.join(' '));
    const built = statSync(args[0]!).mtimeMs;
    assert.equal(await generatorArgs(dir), args);
    assert.is(statSync(args[0]!).mtimeMs, built, 'bundled once per scratch directory');
    let started = false;
    const r = await runFixedRateChild(
      { port: (server.address() as AddressInfo).port, host: '127.0.0.1', path: '/', rate: 200, durationS: 0.5, warmConnections: 2, maxConnections: 8, graceS: 2 },
      undefined,
      join(dir, 'generator.log'),
      () => (started = true),
      dir,
    );
    assert.ok(started, 'the clock started');
    assert.is(r.errorCount, 0);
    assert.is(r.completed, 100, 'every request of 200 req/s × 0.5 s answered');
    assert.ok(r.latency.p50 > 0 && r.latency.p50 < 1_000_000, JSON.stringify(r.latency));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
