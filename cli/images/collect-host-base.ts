import { execFile } from 'node:child_process';
import { access, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostBaseInputs } from './base-rootfs.ts';
import { parseLdd } from './base-rootfs.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';

const run = promisify(execFile);
const INSTALL_HINT = 'install them with: apt-get install -y busybox-static iptables (scripts/ensure-docker.sh does)';

/** The first of `paths` that exists, resolved (symlinks followed); undefined when none does. */
export async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p);
      return await realpath(p);
    } catch {
      // try the next one
    }
  }
  return undefined;
}

async function findModuleDir(): Promise<string | undefined> {
  const candidates = ['/usr/lib/xtables', '/lib/xtables'];
  try {
    for (const d of await readdir('/usr/lib')) if (d.includes('-linux-')) candidates.unshift(join('/usr/lib', d, 'xtables'));
  } catch {
    // no /usr/lib: fall through to the fixed candidates
  }
  for (const c of candidates) {
    try {
      if ((await readdir(c)).some((f) => f.endsWith('.so'))) return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Looks at the host for everything the base image needs: this process's own node binary,
 * busybox, iptables (nft and legacy) with its extension modules, and, with `libraries`, their
 * shared libraries. Listing libraries runs ldd on ~130 files (0.5-2.5 s), so the hash check
 * leaves it out (see ensureBaseImage) and only a build asks for it.
 */
export async function collectHostBase(opts: { libraries: boolean; nodePath?: string }): Promise<HostBaseInputs> {
  const nodePath = opts.nodePath ?? process.execPath;
  const node = await realpath(nodePath);
  const busybox = await firstExisting(['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox']);
  const xtablesNft = await firstExisting(['/usr/sbin/xtables-nft-multi', '/sbin/xtables-nft-multi']);
  const xtablesLegacy = await firstExisting(['/usr/sbin/xtables-legacy-multi', '/sbin/xtables-legacy-multi']);
  const xtablesModuleDir = await findModuleDir();
  const lacking = [
    !busybox && 'busybox',
    !xtablesNft && 'xtables-nft-multi (iptables)',
    !xtablesModuleDir && 'the xtables extension modules (iptables)',
  ].filter(Boolean);
  if (!busybox || !xtablesNft || !xtablesModuleDir) {
    throw new ImageError(IMAGE_ERROR_CODES.base, `cannot assemble the base image: missing ${lacking.join(', ')}; ${INSTALL_HINT}`);
  }
  const xtablesModules = (await readdir(xtablesModuleDir)).filter((f) => f.endsWith('.so')).sort();
  const { stdout: list } = await run(busybox, ['--list']);
  const applets = list.split('\n').map((s) => s.trim()).filter(Boolean);

  const found: HostBaseInputs = { node, busybox, applets, xtablesNft, ...(xtablesLegacy ? { xtablesLegacy } : {}), xtablesModuleDir, xtablesModules, libraries: [] };
  if (!opts.libraries) return found;
  const binaries = [node, busybox, xtablesNft, ...(xtablesLegacy ? [xtablesLegacy] : []), ...xtablesModules.map((m) => join(xtablesModuleDir, m))];
  let lddOut: string;
  try {
    // ldd exits 1 when one of several files is static; its stdout is still complete.
    lddOut = (await run('ldd', binaries, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const out = (err as { stdout?: string }).stdout;
    if (!out) throw new ImageError(IMAGE_ERROR_CODES.base, `ldd failed on the base image's binaries: ${(err as Error).message}`, { cause: err });
    lddOut = out;
  }
  const { libraries, missing } = parseLdd(lddOut);
  if (missing.length) throw new ImageError(IMAGE_ERROR_CODES.base, `cannot assemble the base image: ldd cannot find ${missing.join(', ')}`);
  return { ...found, libraries: libraries.sort() };
}
