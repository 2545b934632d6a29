import { posix } from 'node:path';
import type { TarEntry } from './tar-archive.ts';

/** What the host offers for the base image; gathered by `collectHostBase`, consumed by {@link baseRootfs}. */
export interface HostBaseInputs {
  /** The node binary (absolute host path). */
  node: string;
  /** A busybox binary. */
  busybox: string;
  /** Applet names `busybox --list` prints. */
  applets: string[];
  /** xtables-nft-multi (iptables over nf_tables, as Docker uses here). */
  xtablesNft: string;
  /** xtables-legacy-multi, when installed. */
  xtablesLegacy?: string;
  /** Directory of the xtables extension modules (absolute; kept at the same path in the image). */
  xtablesModuleDir: string;
  /** File names of the modules in it. */
  xtablesModules: string[];
  /** Every shared library `ldd` lists for all of the above, as ldd names them (absolute). */
  libraries: string[];
}

/** PATH of the base image (an imported image has no ENV of its own). */
export const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const NFT_NAMES = [
  'iptables', 'iptables-save', 'iptables-restore',
  'ip6tables', 'ip6tables-save', 'ip6tables-restore',
  'iptables-nft', 'iptables-nft-save', 'iptables-nft-restore',
  'ip6tables-nft', 'ip6tables-nft-save', 'ip6tables-nft-restore',
];
const LEGACY_NAMES = [
  'iptables-legacy', 'iptables-legacy-save', 'iptables-legacy-restore',
  'ip6tables-legacy', 'ip6tables-legacy-save', 'ip6tables-legacy-restore',
];

const ETC_FILES: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ndockmesh:x:1337:1337:dockmesh:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\ndockmesh:x:1337:\n',
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  'etc/os-release': 'NAME="dockmesh base"\nID=dockmesh\nPRETTY_NAME="dockmesh base (host-assembled)"\n',
};

export function stripRoot(p: string): string {
  return posix.normalize(p).replace(/^\/+/, '');
}

/** Collects a root filesystem's tar entries: each parent directory is added before what it holds. */
export class RootfsPlan {
  readonly #entries = new Map<string, TarEntry>();

  /** A directory (and its missing parents, 0755); `mode` applies to the last one. */
  dir(path: string, mode = 0o755): void {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!this.#entries.has(p)) this.#entries.set(p, { type: 'dir', path: p, mode: i === parts.length ? mode : 0o755 });
    }
  }

  /** A file or symlink, with its parent directories. */
  put(entry: TarEntry): void {
    const parent = posix.dirname(entry.path);
    if (parent !== '.') this.dir(parent);
    this.#entries.set(entry.path, entry);
  }

  /** The entries in archive order (every directory before what it holds). */
  entries(): TarEntry[] {
    return [...this.#entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/**
 * The root filesystem of the host-assembled base image, as tar entries in archive order (every
 * directory before what it holds). Libraries keep the exact path ldd gave (the dynamic loader's
 * path is compiled into binaries) and are stored as real files, so the host's merged-/usr
 * symlinks do not matter. Pure: host files are referenced by path, read when archived.
 */
export function baseRootfs(inputs: HostBaseInputs): TarEntry[] {
  const plan = new RootfsPlan();
  const dir = (path: string, mode?: number): void => plan.dir(path, mode);
  const put = (entry: TarEntry): void => plan.put(entry);

  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'usr/local/sbin', 'etc', 'run', 'var']) dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777);
  put({ type: 'symlink', path: 'var/run', target: '../run' });
  for (const [path, contents] of Object.entries(ETC_FILES)) put({ type: 'file', path, mode: 0o644, contents });

  put({ type: 'file', path: 'usr/local/bin/node', mode: 0o755, source: inputs.node });

  put({ type: 'file', path: 'bin/busybox', mode: 0o755, source: inputs.busybox });
  for (const applet of inputs.applets) {
    if (!/^[A-Za-z0-9_.[-]+$/.test(applet) || applet === 'busybox') continue;
    put({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  }
  put({ type: 'symlink', path: 'usr/bin/env', target: '/bin/busybox' });

  put({ type: 'file', path: 'usr/sbin/xtables-nft-multi', mode: 0o755, source: inputs.xtablesNft });
  for (const name of NFT_NAMES) put({ type: 'symlink', path: `usr/sbin/${name}`, target: 'xtables-nft-multi' });
  if (inputs.xtablesLegacy) {
    put({ type: 'file', path: 'usr/sbin/xtables-legacy-multi', mode: 0o755, source: inputs.xtablesLegacy });
    for (const name of LEGACY_NAMES) put({ type: 'symlink', path: `usr/sbin/${name}`, target: 'xtables-legacy-multi' });
  }
  const moduleDir = stripRoot(inputs.xtablesModuleDir);
  for (const m of inputs.xtablesModules) {
    put({ type: 'file', path: `${moduleDir}/${m}`, mode: 0o644, source: posix.join(inputs.xtablesModuleDir, m) });
  }

  for (const lib of inputs.libraries) put({ type: 'file', path: stripRoot(lib), mode: 0o755, source: lib });

  return plan.entries();
}

/** Result of {@link parseLdd}. */
export interface LddResult {
  /** Absolute library paths (including the dynamic loader), deduplicated, in first-seen order. */
  libraries: string[];
  /** Sonames ldd could not resolve. */
  missing: string[];
}

/**
 * Parses `ldd` output, for one file or several (`ldd a b` prints a `a:` header per file).
 * Virtual objects (linux-vdso) are skipped; static binaries list nothing.
 */
export function parseLdd(output: string): LddResult {
  const libraries: string[] = [];
  const missing: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line || !/^\s/.test(raw)) continue;
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    let path: string | undefined;
    if (arrow) {
      const target = arrow[2]!;
      if (target.startsWith('not found')) {
        if (!missing.includes(arrow[1]!)) missing.push(arrow[1]!);
        continue;
      }
      path = /^(\/\S+)/.exec(target)?.[1];
    } else {
      path = /^(\/\S+)\s+\(0x/.exec(line)?.[1];
    }
    if (path && !libraries.includes(path)) libraries.push(path);
  }
  return { libraries, missing };
}
