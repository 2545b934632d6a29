import { BASE_PATH, baseRootfs } from './base-rootfs.ts';
import { collectHostBase } from './collect-host-base.ts';
import { BASE_REPO } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import { type ImageOptions, resolveImageOptions } from './image-options.ts';
import { ensureRootfsImage } from './ensure-rootfs-image.ts';

/**
 * Makes sure the host-assembled base image exists and returns its reference,
 * `dockmesh/base:<hash>`: this machine's node binary, busybox (sh, wget, httpd, nc, …) and
 * iptables (nft; legacy too when installed) with their shared libraries, users root and
 * dockmesh (1337), no package manager. Needs no registry. Test containers that need a shell or
 * busybox tools use this image; the agent and control images use it only when no registry answers.
 * The hash covers the host binaries and iptables modules (path, size, mtime), the file list and
 * the builder's sources; not the shared libraries (listing them means running ldd on ~130 files).
 */
export async function ensureBaseImage(options: ImageOptions = {}): Promise<string> {
  const opts = resolveImageOptions(options);
  await new ImageEngine(opts.docker).ping();
  return ensureRootfsImage(
    {
      repo: BASE_REPO,
      role: 'base',
      rootfs: async (libraries) => baseRootfs(await collectHostBase({ libraries })),
      from: 'the host\'s node, busybox and iptables',
      changes: [`ENV PATH=${BASE_PATH}`, 'WORKDIR /', 'CMD ["/bin/sh"]'],
    },
    opts,
  );
}
