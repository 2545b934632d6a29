import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { baseRootfs, type HostBaseInputs, parseLdd } from '../../../cli/images/base-rootfs.ts';
import type { TarEntry } from '../../../cli/images/tar-archive.ts';

const ldd = suite('parseLdd');

const NODE_LDD = `\tlinux-vdso.so.1 (0x00007fd826c70000)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fd826c59000)
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fd826a00000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fd82673e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fd826c72000)
`;

ldd('one binary: libraries and the loader, not the vdso', () => {
  assert.equal(parseLdd(NODE_LDD), {
    libraries: ['/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
    missing: [],
  });
});

ldd('several binaries: headers skipped, duplicates merged, static ones list nothing', () => {
  const out = `/usr/bin/node:\n${NODE_LDD}/bin/busybox:\n\tnot a dynamic executable\n/usr/sbin/xtables-nft-multi:\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n\tlibnftnl.so.11 => /lib/x86_64-linux-gnu/libnftnl.so.11 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n`;
  const r = parseLdd(out);
  assert.is(r.libraries.length, 5);
  assert.ok(r.libraries.includes('/lib/x86_64-linux-gnu/libnftnl.so.11'));
  assert.equal(r.missing, []);
});

ldd('unresolved libraries are reported', () => {
  assert.equal(parseLdd('\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n'), { libraries: ['/lib/libc.so.6'], missing: ['libfoo.so.1'] });
});

ldd('statically linked', () => {
  assert.equal(parseLdd('\tstatically linked\n'), { libraries: [], missing: [] });
});

ldd.run();

const rootfs = suite('baseRootfs');

const INPUTS: HostBaseInputs = {
  node: '/usr/bin/node',
  busybox: '/usr/bin/busybox',
  applets: ['sh', 'wget', 'httpd', 'nc', '[', 'busybox', 'bad/name', 'ls'],
  xtablesNft: '/usr/sbin/xtables-nft-multi',
  xtablesLegacy: '/usr/sbin/xtables-legacy-multi',
  xtablesModuleDir: '/usr/lib/x86_64-linux-gnu/xtables',
  xtablesModules: ['libxt_REDIRECT.so', 'libxt_owner.so'],
  libraries: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/libnftnl.so.11'],
};

const byPath = (entries: TarEntry[]) => new Map(entries.map((e) => [e.path, e]));

rootfs('every directory comes before what it holds, each path once', () => {
  const entries = baseRootfs(INPUTS);
  const seen = new Set<string>();
  for (const e of entries) {
    assert.not.ok(seen.has(e.path), `duplicate ${e.path}`);
    const parent = e.path.split('/').slice(0, -1).join('/');
    if (parent) assert.ok(seen.has(parent), `${e.path} before its directory`);
    assert.not.ok(e.path.startsWith('/'), `${e.path} is absolute`);
    seen.add(e.path);
  }
});

rootfs('libraries keep the paths ldd gave, as real files from the host', () => {
  const m = byPath(baseRootfs(INPUTS));
  for (const lib of INPUTS.libraries) {
    const e = m.get(lib.slice(1));
    assert.ok(e && e.type === 'file' && 'source' in e && e.source === lib, lib);
  }
  assert.is(m.get('lib64')?.type, 'dir');
  assert.is(m.get('lib')?.type, 'dir');
});

rootfs('node, busybox applets, iptables names', () => {
  const m = byPath(baseRootfs(INPUTS));
  const node = m.get('usr/local/bin/node');
  assert.ok(node?.type === 'file' && 'source' in node && node.source === '/usr/bin/node' && node.mode === 0o755);
  for (const a of ['sh', 'wget', 'httpd', 'nc', '[', 'ls']) assert.equal(m.get(`bin/${a}`), { type: 'symlink', path: `bin/${a}`, target: 'busybox' });
  assert.is(m.get('bin/busybox')?.type, 'file');
  assert.not.ok([...m.keys()].some((p) => p.includes('bad')));
  for (const n of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables-restore']) {
    assert.equal(m.get(`usr/sbin/${n}`), { type: 'symlink', path: `usr/sbin/${n}`, target: 'xtables-nft-multi' });
  }
  assert.equal(m.get('usr/sbin/iptables-legacy'), { type: 'symlink', path: 'usr/sbin/iptables-legacy', target: 'xtables-legacy-multi' });
  const mod = m.get('usr/lib/x86_64-linux-gnu/xtables/libxt_owner.so');
  assert.ok(mod?.type === 'file' && 'source' in mod && mod.source === '/usr/lib/x86_64-linux-gnu/xtables/libxt_owner.so');
});

rootfs('without legacy iptables there are no legacy names', () => {
  const { xtablesLegacy: _, ...nftOnly } = INPUTS;
  const m = byPath(baseRootfs(nftOnly));
  assert.not.ok(m.has('usr/sbin/xtables-legacy-multi'));
  assert.not.ok(m.has('usr/sbin/iptables-legacy'));
  assert.ok(m.has('usr/sbin/iptables'));
});

rootfs('users, groups and the directories a container expects', () => {
  const m = byPath(baseRootfs(INPUTS));
  const text = (p: string) => {
    const e = m.get(p);
    return e?.type === 'file' && 'contents' in e ? String(e.contents) : '';
  };
  assert.match(text('etc/passwd'), /^root:x:0:0:/m);
  assert.match(text('etc/passwd'), /^dockmesh:x:1337:1337:/m);
  assert.match(text('etc/group'), /^dockmesh:x:1337:/m);
  assert.match(text('etc/nsswitch.conf'), /^hosts: files dns$/m);
  assert.match(text('etc/hosts'), /localhost/);
  assert.equal(m.get('tmp'), { type: 'dir', path: 'tmp', mode: 0o1777 });
  assert.is(m.get('run')?.type, 'dir');
  assert.equal(m.get('var/run'), { type: 'symlink', path: 'var/run', target: '../run' });
});

rootfs('is deterministic', () => {
  assert.equal(baseRootfs(INPUTS), baseRootfs({ ...INPUTS, applets: [...INPUTS.applets].reverse() }));
});

rootfs.run();
