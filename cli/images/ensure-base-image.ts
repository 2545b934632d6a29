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
 * dockmesh (1337), no package manager. Needs no registry. The hash covers the file list, the
 * host files' sizes and mtimes, and the builder's sources. Test containers that need a shell or
 * busybox tools use this image; the agent and control images use it only when no registry answers.
 */
export async function ensureBaseImage(options: ImageOptions = {}): Promise<string> {
  const opts = resolveImageOptions(options);
  const engine = new ImageEngine(opts.docker);
  await engine.ping();
  const progress = (step: Parameters<typeof opts.onProgress>[0]['step'], message: string) => opts.onProgress({ image: 'base', step, message });

  const entries = baseRootfs(await collectHostBase());
  const hash = contentHash([...(await rootfsHashInputs(entries)), ...(await builderSources())]);
  const ref = imageRef(BASE_REPO, hash);
  progress('hash', `base image ${ref} (${entries.length} files from this host)`);
  if (!opts.force && (await engine.imageId(ref))) {
    progress('cached', `${ref} is up to date`);
    return ref;
  }
  const running = inFlight.get(ref);
  if (running) return running;
  const job = (async () => {
    progress('build', `assembling ${ref} from the host's node, busybox and iptables`);
    const started = Date.now();
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
