import { contentHash, type HashInput } from './content-hash.ts';
import { HASH_LABEL, IMAGE_LABEL, imageRef } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import type { ImageProgress, ResolvedImageOptions } from './image-options.ts';
import { builderSources } from './source-files.ts';
import { tarArchive, type TarEntry } from './tar-archive.ts';
import { stat } from 'node:fs/promises';

/** An image made of a root filesystem assembled from this host, imported with `docker import`. */
export interface RootfsImageSpec {
  repo: string;
  /** Its `dockmesh.image` label and the name progress events carry: `base`, `prometheus`. */
  role: string;
  /**
   * The root filesystem. `libraries: false` for the hash (cheap: host files count by path, size and
   * mtime, shared libraries are left out); `true` for the build, which copies them too.
   */
  rootfs: (libraries: boolean) => Promise<TarEntry[]>;
  /** What the build says it assembles from, after "assembling <ref> from". */
  from: string;
  /** Dockerfile instructions for `docker import --change`, besides the labels. */
  changes: string[];
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Hash inputs of a root filesystem plan. Host files count by path, size and mtime rather than by
 * content: reading the ~100 MB node binary on every run would cost more than the check saves, and
 * a package upgrade changes both.
 */
export async function rootfsHashInputs(entries: readonly TarEntry[]): Promise<HashInput[]> {
  return Promise.all(
    entries.map(async (e): Promise<HashInput> => {
      if (e.type === 'symlink') return { name: e.path, content: `symlink ${e.target}` };
      if (e.type === 'dir') return { name: e.path, content: `dir ${e.mode ?? 0o755}` };
      if ('contents' in e) return { name: e.path, content: `file ${e.mode ?? 0o644} ${typeof e.contents === 'string' ? e.contents : Buffer.from(e.contents).toString('base64')}` };
      const s = await stat(e.source);
      return { name: e.path, content: `host ${e.mode ?? 0o644} ${e.source} ${s.size} ${s.mtimeMs}` };
    }),
  );
}

/**
 * Makes sure `<repo>:<hash>` exists and returns it: the hash covers the root filesystem plan
 * without libraries and the builder's sources; an image with it is reused, else the filesystem is
 * assembled (libraries included) and imported. An image that lacks a library upgrade stays
 * self-consistent: it has its own copies of every library it uses. Concurrent calls for the same
 * image share one build.
 */
export async function ensureRootfsImage(spec: RootfsImageSpec, opts: ResolvedImageOptions): Promise<string> {
  const engine = new ImageEngine(opts.docker);
  const progress = (step: ImageProgress['step'], message: string) => opts.onProgress({ image: spec.role, step, message });
  const hash = contentHash([...(await rootfsHashInputs(await spec.rootfs(false))), ...(await builderSources())]);
  const ref = imageRef(spec.repo, hash);
  progress('hash', `${spec.role} image ${ref}`);
  if (!opts.force && (await engine.imageId(ref))) {
    progress('cached', `${ref} is up to date`);
    return ref;
  }
  const running = inFlight.get(ref);
  if (running) return running;
  const job = (async () => {
    const started = Date.now();
    const entries = await spec.rootfs(true);
    progress('build', `assembling ${ref} from ${spec.from} (${entries.length} files)`);
    await engine.importRootfs({
      rootfs: tarArchive(entries),
      ref,
      changes: [`LABEL ${IMAGE_LABEL}=${spec.role} ${HASH_LABEL}=${hash}`, ...spec.changes],
      onLog: (line) => progress('log', line),
    });
    progress('done', `built ${ref} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return ref;
  })();
  inFlight.set(ref, job);
  try {
    return await job;
  } finally {
    inFlight.delete(ref);
  }
}
