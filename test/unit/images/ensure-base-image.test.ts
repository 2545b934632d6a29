import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contentHash } from '../../../cli/images/content-hash.ts';
import { rootfsHashInputs } from '../../../cli/images/ensure-rootfs-image.ts';
import type { TarEntry } from '../../../cli/images/tar-archive.ts';

const test = suite('base image hash (rootfsHashInputs)');
let dir = '';
let bin = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'dm-basehash-'));
  bin = join(dir, 'node');
  writeFileSync(bin, 'v1');
  utimesSync(bin, 1_000_000, 1_000_000);
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

const plan = (): TarEntry[] => [
  { type: 'dir', path: 'usr' },
  { type: 'file', path: 'usr/node', mode: 0o755, source: bin },
  { type: 'symlink', path: 'usr/iptables', target: 'xtables-nft-multi' },
  { type: 'file', path: 'etc/passwd', contents: 'root:x:0:0::/root:/bin/sh\n' },
];
const hash = async (entries = plan()) => contentHash(await rootfsHashInputs(entries));

test('stable while nothing changes', async () => {
  assert.is(await hash(), await hash());
});

test('changes when a host file changes size or mtime', async () => {
  const before = await hash();
  utimesSync(bin, 2_000_000, 2_000_000);
  const touched = await hash();
  assert.is.not(touched, before);
  writeFileSync(bin, 'v22');
  utimesSync(bin, 2_000_000, 2_000_000);
  assert.is.not(await hash(), touched);
});

test('changes with the file list, a mode, a link target or inline contents', async () => {
  const base = await hash();
  const variants: TarEntry[][] = [
    plan().slice(1),
    plan().map((e) => (e.type === 'file' && 'source' in e ? { ...e, mode: 0o700 } : e)),
    plan().map((e) => (e.type === 'symlink' ? { ...e, target: 'xtables-legacy-multi' } : e)),
    plan().map((e) => (e.type === 'file' && 'contents' in e ? { ...e, contents: 'root:x:0:0::/root:/bin/ash\n' } : e)),
  ];
  for (const v of variants) assert.is.not(await hash(v), base);
});

test.run();
