import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { baseOverride, chooseBase } from '../../../cli/images/choose-base.ts';
import { REGISTRY_BASE } from '../../../cli/images/image-catalog.ts';
import { contentHash } from '../../../cli/images/content-hash.ts';
import { meshImageHashInputs } from '../../../cli/images/ensure-images.ts';
import { builderSources } from '../../../cli/images/source-files.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const STUB = resolve(import.meta.dirname, 'fixtures', 'stub-repo');

/** A throwaway checkout: the stub entries, the real Dockerfiles and lockfile, node_modules linked. */
function stubRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'dm-hash-'));
  cpSync(STUB, root, { recursive: true });
  for (const role of ['agent', 'control']) {
    mkdirSync(join(root, 'compose', role), { recursive: true });
    copyFileSync(join(REPO, 'compose', role, 'Dockerfile'), join(root, 'compose', role, 'Dockerfile'));
  }
  copyFileSync(join(REPO, 'package-lock.json'), join(root, 'package-lock.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return root;
}

const test = suite('mesh image hashes');
let root = '';
test.before.each(() => {
  root = stubRoot();
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

async function hashes(): Promise<{ agent: string; control: string }> {
  const builder = await builderSources();
  return {
    agent: contentHash(await meshImageHashInputs(root, 'agent', builder)),
    control: contentHash(await meshImageHashInputs(root, 'control', builder)),
  };
}

test('cover the imported sources, the lockfile, the Dockerfile and the builder', async () => {
  const names = (await meshImageHashInputs(root, 'agent', await builderSources())).map((i) => i.name).sort();
  for (const n of ['agent/main.ts', 'wire/greeting.ts', 'package-lock.json', 'compose/agent/Dockerfile', 'builder:cli/images/ensure-images.ts']) {
    assert.ok(names.includes(n), n);
  }
  assert.not.ok(names.includes('control/main.ts'));
});

test('are stable while nothing changes', async () => {
  assert.equal(await hashes(), await hashes());
});

const edits: [string, string, ('agent' | 'control')[]][] = [
  ['agent/main.ts', '// edit\n', ['agent']],
  ['control/main.ts', '// edit\n', ['control']],
  ['wire/greeting.ts', '// edit\n', ['agent', 'control']],
  ['package-lock.json', ' ', ['agent', 'control']],
  ['compose/agent/Dockerfile', '# edit\n', ['agent']],
  ['agent/unused-notes.ts', '// not imported\n', []],
];
for (const [file, text, changed] of edits) {
  test(`editing ${file} changes ${changed.length ? changed.join(' and ') : 'nothing'}`, async () => {
    const before = await hashes();
    if (file.endsWith('unused-notes.ts')) writeFileSync(join(root, file), text);
    else appendFileSync(join(root, file), text);
    const after = await hashes();
    for (const role of ['agent', 'control'] as const) {
      assert.is(after[role] !== before[role], changed.includes(role), `${role} hash`);
    }
  });
}

test('a new import is covered once the entry imports it', async () => {
  const before = await hashes();
  writeFileSync(join(root, 'wire', 'extra.ts'), 'export const X = 1;\n');
  assert.equal(await hashes(), before);
  appendFileSync(join(root, 'agent', 'main.ts'), "import { X } from '../wire/extra.ts';\nconsole.log(X);\n");
  const mid = await hashes();
  assert.is.not(mid.agent, before.agent);
  appendFileSync(join(root, 'wire', 'extra.ts'), 'export const Y = 2;\n');
  assert.is.not((await hashes()).agent, mid.agent);
});

test.run();

const base = suite('base override (DOCKMESH_BASE_IMAGE)');
const cases: [string | undefined, ReturnType<typeof baseOverride>][] = [
  [undefined, undefined],
  ['', undefined],
  ['  ', undefined],
  ['host', { kind: 'host' }],
  ['node:20-bookworm-slim', { kind: 'ref', ref: 'node:20-bookworm-slim' }],
  [' registry.local/node:20 ', { kind: 'ref', ref: 'registry.local/node:20' }],
];
for (const [value, want] of cases) {
  base(`${JSON.stringify(value)}`, () => {
    assert.equal(baseOverride(value === undefined ? {} : { DOCKMESH_BASE_IMAGE: value }), want);
  });
}
base.run();

const choose = suite('chooseBase (fake engine)');

function fakeEngine(key: string, local: string[], pullable: boolean) {
  const pulls: string[] = [];
  return {
    pulls,
    key,
    imageId: async (ref: string) => (local.includes(ref) ? `sha256:${ref}` : undefined),
    tryPull: async (ref: string) => {
      pulls.push(ref);
      return pullable;
    },
  };
}
const quiet = () => {};

choose('an override names the base, no probe', async () => {
  const e = fakeEngine('a', ['my/node:20'], false);
  assert.is(await chooseBase(e, {}, quiet, { DOCKMESH_BASE_IMAGE: 'my/node:20' }), 'my/node:20');
  assert.equal(e.pulls, []);
});

choose('the registry image when it is already local, no probe', async () => {
  const e = fakeEngine('b', [REGISTRY_BASE], false);
  assert.is(await chooseBase(e, {}, quiet, {}), REGISTRY_BASE);
  assert.equal(e.pulls, []);
});

choose('the registry image when a pull works; the probe runs once per engine', async () => {
  const e = fakeEngine('c', [], true);
  assert.is(await chooseBase(e, {}, quiet, {}), REGISTRY_BASE);
  assert.is(await chooseBase(e, {}, quiet, {}), REGISTRY_BASE);
  assert.equal(e.pulls, [REGISTRY_BASE]);
});

choose.run();
