/**
 * The bench runs the control server the way its image does: a fresh esbuild bundle (of the bench's
 * synthetic-project entry) under the image's Node flags, not TypeScript through tsx, whose loader
 * added about 50 MB to the RSS the bench reports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONTROL_PROGRAM, ControlPlane } from '../../../bench/control-plane/control-plane-bench.ts';
import { bundledRunner } from '../../../bench/targets/bundled-runner.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

test('the control-plane bench runs control-process.ts from a fresh bundle, and it serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-bundled-runner-'));
  const cp = new ControlPlane();
  try {
    const runner = bundledRunner(ROOT, dir, CONTROL_PROGRAM);
    assert.match(runner.how, /^fresh esbuild bundle of control\//);
    const script = runner.nodeArgs.at(-1)!;
    assert.is(script, join(dir, 'build/control-bench/control-bench.mjs'));
    assert.not.ok(runner.nodeArgs.includes('tsx'), runner.nodeArgs.join(' '));

    const meshfile = join(dir, 'mesh.yaml');
    writeFileSync(meshfile, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: svc-0}\nspec:\n  hosts: [svc-0]\n  http:\n  - route:\n    - destination: {host: svc-0}\n');
    await cp.startControl(runner.nodeArgs, 2, 1, meshfile);
    assert.match(cp.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await cp.status(); // throws unless the answer is JSON
    assert.ok(Array.isArray(status.agents), JSON.stringify(status)); // a status view, not an error body
    assert.ok((status.meshfile?.version ?? 0) >= 1, JSON.stringify(status.meshfile));
  } finally {
    cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
