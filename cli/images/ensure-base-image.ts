import { stat } from 'node:fs/promises';
import { BASE_PATH, baseRootfs } from './base-rootfs.ts';
import { collectHostBase } from './collect-host-base.ts';
import { contentHash, type HashInput } from './content-hash.ts';
import { BASE_REPO, HASH_LABEL, IMAGE_LABEL, imageRef } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import { type ImageOptions, resolveImageOptions } from './image-options.ts';
import { builderSources } from './source-files.ts';
import { tarArchive, type TarEntry } from './tar-archive.ts';

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
 * Makes sure the host-assembled base image exists and returns its reference,
 * `dockmesh/base:<hash>`: this machine's node binary, busybox (sh, wget, httpd, nc, …) and
 * iptables (nft; legacy too when installed) with their shared libraries, users root and
 * dockmesh (1337), no package manager. Needs no registry. Test containers that need a shell or
 * busybox tools use this image; the agent and control images use it only when no registry answers.
 * The hash covers the host binaries and iptables modules (path, size, mtime), the file list and
 * the builder's sources; not the shared libraries (see the comment inside).
 */
export async function ensureBaseImage(options: ImageOptions = {}): Promise<string> {
  const opts = resolveImageOptions(options);
  const engine = new ImageEngine(opts.docker);
  await engine.ping();
  const progress = (step: Parameters<typeof opts.onProgress>[0]['step'], message: string) => opts.onProgress({ image: 'base', step, message });

  // The hash leaves the shared libraries out (listing them is the slow part): it covers the
  // binaries and modules by path, size and mtime, and the builder. A library upgrade alone keeps
  // the old image, which stays self-consistent: it has its own copies of every library it uses.
  const found = await collectHostBase({ libraries: false });
  const hash = contentHash([...(await rootfsHashInputs(baseRootfs(found))), ...(await builderSources())]);
  const ref = imageRef(BASE_REPO, hash);
  progress('hash', `base image ${ref}`);
  if (!opts.force && (await engine.imageId(ref))) {
    progress('cached', `${ref} is up to date`);
    return ref;
  }
  const running = inFlight.get(ref);
  if (running) return running;
  const job = (async () => {
    const started = Date.now();
    const entries = baseRootfs(await collectHostBase({ libraries: true }));
    progress('build', `assembling ${ref} from the host's node, busybox and iptables (${entries.length} files)`);
    await engine.importRootfs({
      rootfs: tarArchive(entries),
      ref,
      changes: [`ENV PATH=${BASE_PATH}`, `LABEL ${IMAGE_LABEL}=base ${HASH_LABEL}=${hash}`, 'WORKDIR /', 'CMD ["/bin/sh"]'],
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
