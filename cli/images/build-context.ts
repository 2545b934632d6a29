import { posix } from 'node:path';
import type { BundleOutput } from './bundler.ts';
import type { TarEntry } from './tar-archive.ts';

/**
 * Build context of a mesh image: its Dockerfile (as `Dockerfile`) and its bundle (the entry file
 * and the chunks it loads on first need), nothing else, so the context is a few MB whatever lies
 * around the checkout. The Dockerfile copies every `.mjs` file.
 */
export function meshImageContext(dockerfile: string | Uint8Array, bundle: Pick<BundleOutput, 'file' | 'contents' | 'chunks'>): TarEntry[] {
  return [
    { type: 'file', path: 'Dockerfile', mode: 0o644, contents: dockerfile },
    { type: 'file', path: bundle.file, mode: 0o644, contents: bundle.contents },
    ...bundle.chunks.map((c): TarEntry => ({ type: 'file', path: c.file, mode: 0o644, contents: c.contents })),
  ];
}

/**
 * Which files of an example directory go into its image (and its hash): everything but what only
 * compose, the mesh or people read. Editing the compose file, the meshfile or the README does not
 * rebuild the image. Paths relative to the example directory.
 */
export function exampleContextFiles(files: readonly string[]): string[] {
  return files
    .filter((f) => {
      const base = posix.basename(f);
      if (f.split('/').some((part) => part === 'node_modules' || part.startsWith('.'))) return false;
      if (/^(docker-)?compose([.-].*)?\.ya?ml$/.test(base)) return false;
      if (/^mesh([.-].*)?\.ya?ml$/.test(base)) return false;
      return !base.endsWith('.md');
    })
    .sort();
}

/** Tar entries of an example's context: files read from the host at archive time. */
export function exampleContext(dir: string, files: readonly string[]): TarEntry[] {
  return files.map((f) => ({ type: 'file', path: f, mode: 0o644, source: posix.join(dir, f) }) as TarEntry);
}
