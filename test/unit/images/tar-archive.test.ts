import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { paxHeaderFor, paxRecord, splitUstarPath, tarArchive, tarHeader, type TarEntry } from '../../../cli/images/tar-archive.ts';

const test = suite('tarArchive');

test('header: checksum field matches the block sum, type flags, owner root', () => {
  const h = tarHeader({ type: 'file', path: 'a/b.txt', mode: 0o600, contents: 'hi' }, 2);
  assert.is(h.length, 512);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  assert.is(parseInt(h.subarray(148, 154).toString(), 8), sum);
  assert.is(String.fromCharCode(h[156]!), '0');
  assert.is(h.subarray(257, 262).toString(), 'ustar');
  assert.is(String.fromCharCode(tarHeader({ type: 'dir', path: 'd' }, 0)[156]!), '5');
  assert.is(String.fromCharCode(tarHeader({ type: 'symlink', path: 's', target: 't' }, 0)[156]!), '2');
});

test('long paths split into prefix and name, or need a PAX header', () => {
  const long = `${'d'.repeat(90)}/${'e'.repeat(30)}/file.so`;
  const { prefix, name } = splitUstarPath(long)!;
  assert.is(`${prefix}/${name}`, long);
  assert.ok(name.length <= 100 && prefix.length <= 155);
  assert.equal(splitUstarPath('short'), { prefix: '', name: 'short' });
  assert.is(splitUstarPath('x'.repeat(300)), undefined);
  assert.is(paxHeaderFor({ type: 'file', path: long, contents: '' }), undefined);
  assert.match(String(paxHeaderFor({ type: 'file', path: 'x'.repeat(300), contents: '' })), /^310 path=x{300}\n$/);
});

test('PAX records count their own length', () => {
  for (const v of ['', 'a', 'x'.repeat(85), 'x'.repeat(86), 'x'.repeat(995)]) {
    const r = paxRecord('path', v);
    assert.is(Number(r.split(' ')[0]), Buffer.byteLength(r), `value of ${v.length}`);
  }
});

test('GNU tar reads what it writes: dirs, modes, symlinks, inline and host files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-tar-'));
  try {
    const host = join(dir, 'host.bin');
    writeFileSync(host, Buffer.alloc(1000, 7));
    writeFileSync(join(dir, 'empty'), '');
    const entries: TarEntry[] = [
      { type: 'dir', path: 'tmp', mode: 0o1777 },
      { type: 'dir', path: 'usr' },
      { type: 'file', path: 'usr/hello.txt', contents: 'hello\n' },
      { type: 'file', path: 'usr/host.bin', mode: 0o755, source: host },
      { type: 'file', path: 'usr/empty', source: join(dir, 'empty') },
      { type: 'symlink', path: 'usr/link', target: 'hello.txt' },
      { type: 'file', path: `usr/${'x'.repeat(120)}`, contents: 'long' },
      { type: 'symlink', path: 'usr/far', target: `/${'t'.repeat(150)}` },
    ];
    const bytes = await buffer(tarArchive(entries));
    assert.is(bytes.length % 512, 0);
    const listing = spawnSync('tar', ['-tvf', '-'], { input: bytes, encoding: 'utf8' });
    assert.is(listing.status, 0, listing.stderr);
    const lines = listing.stdout.trim().split('\n');
    assert.is(lines.length, entries.length);
    assert.match(lines[0]!, /^drwxrwxrwt root\/root .* tmp\/$/);
    assert.match(lines[3]!, /^-rwxr-xr-x root\/root\s+1000 .* usr\/host\.bin$/);
    assert.match(lines[5]!, /usr\/link -> hello\.txt$/);
    assert.match(lines[6]!, /usr\/x{120}$/);
    assert.match(lines[7]!, /usr\/far -> \/t{150}$/);
    assert.is(spawnSync('tar', ['-xOf', '-', `usr/${'x'.repeat(120)}`], { input: bytes, encoding: 'utf8' }).stdout, 'long');
    const out = spawnSync('tar', ['-xOf', '-', 'usr/hello.txt'], { input: bytes, encoding: 'utf8' });
    assert.is(out.stdout, 'hello\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('same entries, same bytes', async () => {
  const entries: TarEntry[] = [{ type: 'file', path: 'Dockerfile', contents: 'FROM scratch\n' }];
  assert.ok((await buffer(tarArchive(entries))).equals(await buffer(tarArchive(entries))));
});

test.run();
