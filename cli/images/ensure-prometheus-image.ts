/**
 * A Prometheus image assembled from this host's own Prometheus (Debian's `prometheus` package), for
 * `mesh up --observability` where no registry serves `prom/prometheus`. Same way as the base image:
 * the binary, the shared libraries ldd lists for it and its web assets, imported with `docker import`.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseLdd, RootfsPlan, stripRoot } from './base-rootfs.ts';
import { firstExisting } from './collect-host-base.ts';
import { ensureRootfsImage } from './ensure-rootfs-image.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';
import { type ImageOptions, resolveImageOptions } from './image-options.ts';
import type { TarEntry } from './tar-archive.ts';

const run = promisify(execFile);

/** Repository of the host-assembled Prometheus image. */
export const PROMETHEUS_HOST_REPO = 'dockmesh/prometheus';
/** Where the binary is looked for. */
const PROMETHEUS_PATHS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'];
/** Debian keeps the classic UI's static files here; the binary reads them at run time. */
const WEB_DIR = '/usr/share/prometheus/web';

/** What the host offers for the image. */
export interface HostPrometheus {
  binary: string;
  /** Files under {@link WEB_DIR} (absolute), empty when the package has none. */
  webFiles: string[];
  /** Absolute library paths (ldd), empty when not asked for. */
  libraries: string[];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** Finds the host's Prometheus; undefined when it has none. */
export async function findHostPrometheus(opts: { libraries: boolean }): Promise<HostPrometheus | undefined> {
  const binary = await firstExisting(PROMETHEUS_PATHS);
  if (!binary) return undefined;
  const webFiles = await filesUnder(WEB_DIR);
  if (!opts.libraries) return { binary, webFiles, libraries: [] };
  let out: string;
  try {
    out = (await run('ldd', [binary])).stdout;
  } catch (err) {
    // ldd exits 1 on a static binary ("not a dynamic executable"): nothing to copy.
    out = (err as { stdout?: string }).stdout ?? '';
  }
  const { libraries, missing } = parseLdd(out);
  if (missing.length) throw new ImageError(IMAGE_ERROR_CODES.base, `cannot assemble the Prometheus image: ldd cannot find ${missing.join(', ')}`);
  return { binary, webFiles, libraries: libraries.sort() };
}

/**
 * The image's root filesystem (pure): `/bin/prometheus`, its libraries at the paths ldd gave, the
 * web assets, `/etc/prometheus` for the configuration the CLI copies in, and `/prometheus` (the
 * TSDB, writable by `nobody`, which the image runs as, like prom/prometheus).
 */
export function prometheusRootfs(host: HostPrometheus): TarEntry[] {
  const plan = new RootfsPlan();
  const dir = (path: string, mode?: number): void => plan.dir(path, mode);
  const put = (entry: TarEntry): void => plan.put(entry);
  dir('etc/prometheus');
  dir('prometheus', 0o1777);
  dir('tmp', 0o1777);
  put({ type: 'file', path: 'etc/passwd', mode: 0o644, contents: 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' });
  put({ type: 'file', path: 'etc/group', mode: 0o644, contents: 'root:x:0:\nnogroup:x:65534:\n' });
  put({ type: 'file', path: 'etc/nsswitch.conf', mode: 0o644, contents: 'hosts: files dns\n' });
  put({ type: 'file', path: 'etc/hosts', mode: 0o644, contents: '127.0.0.1\tlocalhost\n' });
  put({ type: 'file', path: 'bin/prometheus', mode: 0o755, source: host.binary });
  for (const f of host.webFiles) put({ type: 'file', path: stripRoot(f), mode: 0o644, source: f });
  for (const lib of host.libraries) put({ type: 'file', path: stripRoot(lib), mode: 0o755, source: lib });
  return plan.entries();
}

/**
 * Makes sure `dockmesh/prometheus:<hash>` exists and returns it; undefined when this host has no
 * Prometheus (`apt-get install prometheus` gives one). Hashed and built as the base image is
 * ({@link ensureRootfsImage}).
 */
export async function ensureHostPrometheusImage(options: ImageOptions = {}): Promise<string | undefined> {
  const found = await findHostPrometheus({ libraries: false });
  if (!found) return undefined;
  return ensureRootfsImage(
    {
      repo: PROMETHEUS_HOST_REPO,
      role: 'prometheus',
      rootfs: async (libraries) => prometheusRootfs(libraries ? (await findHostPrometheus({ libraries }))! : found),
      from: `this host's ${found.binary}`,
      changes: [
        'USER nobody',
        'WORKDIR /prometheus',
        'EXPOSE 9090',
        'ENTRYPOINT ["/bin/prometheus"]',
        'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
      ],
    },
    resolveImageOptions(options),
  );
}
