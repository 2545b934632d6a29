import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bundle, bundleBuildOptions, bundleSize, BUNDLE_EXTERNALS, LEFT_OUT_PACKAGES, sourceInputs } from '../../../cli/images/bundler.ts';
import { ImageError } from '../../../cli/images/image-error.ts';
import { parseBundleArgs } from '../../../scripts/bundle.ts';

const STUB = resolve(import.meta.dirname, 'fixtures', 'stub-repo');
const test = suite('bundle');

test('esbuild options: an ESM entry file for node 20 (and chunks) with the CommonJS shims, natives external', () => {
  const o = bundleBuildOptions('/r', { name: 'agent', entry: 'agent/main.ts' });
  assert.is(o.platform, 'node');
  assert.is(o.format, 'esm');
  assert.is(o.target, 'node20');
  assert.is(o.bundle, true);
  assert.equal(o.entryPoints, { agent: 'agent/main.ts' });
  assert.is(o.splitting, true);
  assert.equal([o.entryNames, o.chunkNames, o.outExtension], ['[name]', 'chunk-[hash]', { '.js': '.mjs' }]);
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
    assert.equal(agent!.inputs, ['agent/main.ts', 'lazy/late.ts', 'wire/greeting.ts']);
    assert.equal(control!.inputs, ['control/main.ts', 'wire/greeting.ts']);
    // Run it from a directory with no node_modules anywhere above: the bundle must be self-contained.
    const run = spawnSync(process.execPath, [agent!.path!, 'ok'], { cwd: out, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), 'dockmesh agent stub function ok');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('what an entry imports dynamically goes into a chunk next to it, which it loads when it runs; an earlier bundle\'s chunks go, other files stay', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dm-bundle-'));
  try {
    mkdirSync(join(out, 'lazy'));
    writeFileSync(join(out, 'lazy', 'chunk-STALE.mjs'), 'left by an earlier bundle');
    writeFileSync(join(out, 'lazy', 'notes.txt'), 'not the bundler\'s');
    const [lazy] = await bundle({ root: STUB, entries: [{ name: 'lazy', entry: 'lazy/main.ts' }], outDir: out });
    assert.is(lazy!.chunks.length, 1);
    const chunk = lazy!.chunks[0]!;
    assert.match(chunk.file, /^chunk-[A-Z0-9]+\.mjs$/);
    assert.ok(Buffer.from(chunk.contents).toString('utf8').includes('LATE-CHUNK-MARKER'));
    assert.not.ok(readFileSync(lazy!.path!, 'utf8').includes('LATE-CHUNK-MARKER'), 'not in the entry file');
    assert.equal(readdirSync(join(out, 'lazy')).sort(), ['lazy.mjs', chunk.file, 'notes.txt'].sort());
    assert.equal(lazy!.inputs, ['lazy/late.ts', 'lazy/main.ts', 'wire/greeting.ts']);
    const run = spawnSync(process.execPath, [lazy!.path!], { cwd: out, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), 'dockmesh lazy stub LATE-CHUNK-MARKER');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bundleSize: the entry file, and the chunks when there are some', () => {
  assert.is(bundleSize({ contents: new Uint8Array(2048), chunks: [] }), '2 KiB');
  const chunk = (n: number) => ({ file: 'chunk-A.mjs', contents: new Uint8Array(n) });
  assert.is(bundleSize({ contents: new Uint8Array(229_376), chunks: [chunk(1024), chunk(3072)] }), '224 KiB (+ 2 chunks, 4 KiB)');
});

test('bundles leave out ssh2, gRPC and protobufjs (dockerode brings them for paths no bundle takes); using them throws, naming the package', async () => {
  assert.equal(LEFT_OUT_PACKAGES, ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs']);
  const out = mkdtempSync(join(tmpdir(), 'dm-bundle-'));
  try {
    const [docker] = await bundle({ root: STUB, entries: [{ name: 'docker', entry: 'docker/main.ts' }], outDir: out });
    const code = readFileSync(docker!.path!, 'utf8');
    assert.ok(code.includes('node_modules/dockerode/lib/docker.js'), 'dockerode is bundled');
    for (const gone of ['node_modules/ssh2/', 'node_modules/@grpc/', 'node_modules/protobufjs/', 'poly1305']) assert.not.ok(code.includes(gone), gone);
    assert.equal(docker!.inputs, ['docker/main.ts']);
    const run = spawnSync(process.execPath, [docker!.path!], { cwd: out, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), "function | ssh2 is left out of dockmesh's bundles (dockerode needs it only for ssh:// engines and BuildKit; see docs/images.md)");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('sourceInputs lists the project files an entry imports (dynamic imports too), not its packages', async () => {
  assert.equal(await sourceInputs(STUB, 'agent/main.ts'), ['agent/main.ts', 'lazy/late.ts', 'wire/greeting.ts']);
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

test('bundles are one-byte text for V8: comments esbuild keeps lose their non-Latin-1 characters, nothing else changes', async () => {
  // V8 keeps a module's source for lazy compilation, as a two-byte string if one character is
  // beyond Latin-1: a single "→" in a kept comment doubled the agent's 0.7 MB source in memory.
  const out = mkdtempSync(join(tmpdir(), 'dm-bundle-'));
  try {
    const [text] = await bundle({ root: STUB, entries: [{ name: 'text', entry: 'text/main.ts' }], outDir: out });
    const code = readFileSync(text!.path!, 'utf8');
    assert.equal(Buffer.from(code), Buffer.from(text!.contents));
    const beyondLatin1 = [...code].filter((c) => c.codePointAt(0)! > 0xff);
    // Left as they are: the characters in regular expression literals (esbuild prints them as
    // written), and the tagged template's raw arrow (escaping it would change the string).
    assert.equal(beyondLatin1, ['😀', '→', '→']);
    assert.ok(code.includes('/** name \\u2192 factor: kept by esbuild as written, \\u2264 and \\u2192 included. */'), code);
    const run = spawnSync(process.execPath, [text!.path!], { cwd: out, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout, '0.0000049999999999999996 0.002 0 true 5\n37\n');
  } finally {
    rmSync(out, { recursive: true, force: true });
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
