import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bundle, bundleBuildOptions, BUNDLE_EXTERNALS, sourceInputs } from '../../../cli/images/bundler.ts';
import { ImageError } from '../../../cli/images/image-error.ts';
import { parseBundleArgs } from '../../../scripts/bundle.ts';

const STUB = resolve(import.meta.dirname, 'fixtures', 'stub-repo');
const test = suite('bundle');

test('esbuild options: one ESM file for node 20 with the CommonJS shims, natives external', () => {
  const o = bundleBuildOptions('/r', { name: 'agent', entry: 'agent/main.ts' });
  assert.is(o.platform, 'node');
  assert.is(o.format, 'esm');
  assert.is(o.target, 'node20');
  assert.is(o.bundle, true);
  assert.is(o.outfile, 'agent.mjs');
  assert.equal(o.external, BUNDLE_EXTERNALS);
  const banner = (o.banner as { js: string }).js;
  for (const name of ['const require', 'const __filename', 'const __dirname']) assert.ok(banner.includes(name), name);
});

test('a stub that imports dockerode (CommonJS, optional native parts) bundles and runs as ESM', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dm-bundle-'));
  try {
    const [agent, control] = await bundle({
      root: STUB,
      entries: [{ name: 'agent', entry: 'agent/main.ts' }, { name: 'control', entry: 'control/main.ts' }],
      outDir: out,
    });
    assert.is(agent!.file, 'agent.mjs');
    assert.is(agent!.path, join(out, 'agent', 'agent.mjs'));
    assert.equal(agent!.inputs, ['agent/main.ts', 'wire/greeting.ts']);
    assert.equal(control!.inputs, ['control/main.ts', 'wire/greeting.ts']);
    // Run it from a directory with no node_modules anywhere above: the bundle must be self-contained.
    const run = spawnSync(process.execPath, [agent!.path!, 'ok'], { cwd: out, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), 'dockmesh agent stub function ok');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('sourceInputs lists the project files an entry imports, not its packages', async () => {
  assert.equal(await sourceInputs(STUB, 'agent/main.ts'), ['agent/main.ts', 'wire/greeting.ts']);
});

test('a missing entry is MESH_ERR_IMAGE_BUNDLE', async () => {
  for (const run of [() => sourceInputs(STUB, 'nope/main.ts'), () => bundle({ root: STUB, entries: [{ name: 'nope', entry: 'nope/main.ts' }] })]) {
    try {
      await run();
      assert.unreachable();
    } catch (err) {
      assert.instance(err, ImageError);
      assert.is((err as ImageError).code, 'MESH_ERR_IMAGE_BUNDLE');
      assert.match((err as Error).message, /nope\/main\.ts/);
    }
  }
});

test('scripts/bundle.ts arguments', () => {
  assert.equal(parseBundleArgs([]), {
    entries: [{ name: 'agent', entry: 'agent/main.ts' }, { name: 'control', entry: 'control/main.ts' }],
    outDir: '.build',
  });
  assert.equal(parseBundleArgs(['agent', 'x=a/b.ts', '--out-dir', '/tmp/o', '--root', 'r']), {
    entries: [{ name: 'agent', entry: 'agent/main.ts' }, { name: 'x', entry: 'a/b.ts' }],
    outDir: '/tmp/o',
    root: 'r',
  });
});

test.run();
