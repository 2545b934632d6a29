/**
 * The bench runs the control server the way its image does: a fresh esbuild bundle (of the bench's
 * synthetic-project entry) under the image's Node flags, not TypeScript through tsx, whose loader
 * added about 50 MB to the RSS the bench reports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONTROL_PROGRAM } from '../../../bench/control-plane/control-plane-bench.ts';
import { bundledRunner } from '../../../bench/targets/bundled-runner.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

test('the control-plane bench runs control-process.ts from a fresh bundle, and it serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-bundled-runner-'));
  try {
    const runner = bundledRunner(ROOT, dir, CONTROL_PROGRAM);
    assert.match(runner.how, /^fresh esbuild bundle of control\//);
    const script = runner.nodeArgs.at(-1)!;
    assert.is(script, join(dir, 'build/control-bench/control-bench.mjs'));
    assert.not.ok(runner.nodeArgs.includes('tsx'), runner.nodeArgs.join(' '));

    const meshfile = join(dir, 'mesh.yaml');
    writeFileSync(meshfile, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: svc-0}\nspec:\n  hosts: [svc-0]\n  http:\n  - route:\n    - destination: {host: svc-0}\n');
    const child = spawn(process.execPath, [...runner.nodeArgs, '2', '1', meshfile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((ok, fail) => {
        createInterface({ input: child.stdout! }).once('line', ok);
        child.once('exit', (code) => fail(new Error(`control exited ${code}`)));
      });
      const { address } = JSON.parse(line) as { address: string };
      assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${address}/v1/status`, { headers: { authorization: 'Bearer bench-cli' } });
      assert.is(r.status, 200);
      const status = (await r.json()) as { meshfile?: { version: number } };
      assert.ok((status.meshfile?.version ?? 0) >= 1, JSON.stringify(status.meshfile));
    } finally {
      child.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
