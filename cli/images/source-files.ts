import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HashInput } from './content-hash.ts';
import { BUILDER_DIR } from './image-catalog.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';

/** Reads root-relative files as hash inputs named by their path; a missing file is MESH_ERR_IMAGE_SOURCE. */
export async function readSourceFiles(root: string, paths: readonly string[]): Promise<HashInput[]> {
  return Promise.all(
    [...new Set(paths)].map(async (name) => {
      try {
        return { name, content: await readFile(join(root, name)) };
      } catch (err) {
        throw new ImageError(IMAGE_ERROR_CODES.source, `cannot read ${name}: ${(err as Error).message}`, { cause: err });
      }
    }),
  );
}

/** Every file under a root-relative directory (recursive), root-relative and sorted. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  } catch (err) {
    throw new ImageError(IMAGE_ERROR_CODES.source, `cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(join(root).length + 1))
    .sort();
}

/**
 * The builder's own sources (this directory, cli/images/ of the checkout the builder runs from,
 * whatever root it builds): part of every image's hash, named `builder:<path>`.
 */
export async function builderSources(builderRoot: string = resolve(import.meta.dirname, '..', '..')): Promise<HashInput[]> {
  const files = await readSourceFiles(builderRoot, await listFiles(builderRoot, BUILDER_DIR));
  return files.map((f) => ({ name: `builder:${f.name}`, content: f.content }));
}
