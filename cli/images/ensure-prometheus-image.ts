/**
 * A Prometheus image assembled from this host's own Prometheus (Debian's `prometheus` package), for
 * `mesh up --observability` where no registry serves `prom/prometheus`. Same way as the base image:
 * the binary, the shared libraries ldd lists for it and its web assets, imported with `docker import`.
 */
import { execFile } from 'node:child_process';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseLdd, RootfsPlan, stripRoot } from './base-rootfs.ts';
import { contentHash } from './content-hash.ts';
import { rootfsHashInputs } from './ensure-base-image.ts';
import { HASH_LABEL, IMAGE_LABEL, imageRef } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';
import { type ImageOptions, resolveImageOptions } from './image-options.ts';
import { builderSources } from './source-files.ts';
import { tarArchive, type TarEntry } from './tar-archive.ts';

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
  let binary: string | undefined;
  for (const p of PROMETHEUS_PATHS) {
    try {
      await access(p);
      binary = await realpath(p);
      break;
    } catch {
      // try the next one
    }
  }
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
 * Prometheus (`apt-get install prometheus` gives one). The hash covers the files by path, size and
 * mtime (not the libraries, as for the base image) and the builder's sources.
 */
export async function ensureHostPrometheusImage(options: ImageOptions = {}): Promise<string | undefined> {
  const opts = resolveImageOptions(options);
  const found = await findHostPrometheus({ libraries: false });
  if (!found) return undefined;
  const engine = new ImageEngine(opts.docker);
  const hash = contentHash([...(await rootfsHashInputs(prometheusRootfs(found))), ...(await builderSources())]);
  const ref = imageRef(PROMETHEUS_HOST_REPO, hash);
  if (!opts.force && (await engine.imageId(ref))) return ref;
  const started = Date.now();
  const entries = prometheusRootfs((await findHostPrometheus({ libraries: true }))!);
  opts.onProgress({ image: 'prometheus', step: 'build', message: `assembling ${ref} from this host's ${found.binary}` });
  await engine.importRootfs({
    rootfs: tarArchive(entries),
    ref,
    changes: [
      `LABEL ${IMAGE_LABEL}=prometheus ${HASH_LABEL}=${hash}`,
      'USER nobody',
      'WORKDIR /prometheus',
      'EXPOSE 9090',
      'ENTRYPOINT ["/bin/prometheus"]',
      'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
    ],
  });
  opts.onProgress({ image: 'prometheus', step: 'done', message: `built ${ref} in ${((Date.now() - started) / 1000).toFixed(1)} s` });
  return ref;
}
