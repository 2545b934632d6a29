import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { bundle, bundleSize } from './bundler.ts';
import { meshImageContext } from './build-context.ts';
import { chooseBase } from './choose-base.ts';
import { contentHash, type HashInput } from './content-hash.ts';
import { BASE_LABEL, COMMON_HASH_FILES, HASH_LABEL, IMAGE_LABEL, imageRef, MESH_IMAGES, type MeshImageRole } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';
import { type ImageOptions, type ImageProgress, resolveImageOptions } from './image-options.ts';
import { builderSources, readSourceFiles } from './source-files.ts';
import { sourceInputs } from './bundler.ts';
import { tarArchive } from './tar-archive.ts';

/** Options of {@link ensureImages}. */
export interface EnsureImagesOptions extends ImageOptions {
  /** Which images; default both. */
  roles?: readonly MeshImageRole[];
}

/** References of the mesh images, and which of them this call built. */
export interface MeshImages {
  /** `dockmesh/agent:<hash>` (empty when not asked for). */
  agent: string;
  /** `dockmesh/control:<hash>` (empty when not asked for). */
  control: string;
  built: MeshImageRole[];
}

/**
 * The hash inputs of a mesh image: the project files its entry imports, the lockfile, its
 * Dockerfile and the builder's own sources (given, as they are shared by both images).
 */
export async function meshImageHashInputs(root: string, role: MeshImageRole, builder: readonly HashInput[]): Promise<HashInput[]> {
  const spec = MESH_IMAGES[role];
  const sources = await sourceInputs(root, spec.entry);
  const files = await readSourceFiles(root, [...sources, ...COMMON_HASH_FILES, spec.dockerfile]);
  return [...files, ...builder];
}

const inFlight = new Map<string, Promise<void>>();

/**
 * Makes sure `dockmesh/agent:<hash>` and `dockmesh/control:<hash>` exist and returns them. The
 * hash covers each image's sources (see {@link meshImageHashInputs}); when an image with that tag
 * exists nothing is built (a few hundred ms: the imports are scanned, files hashed, two
 * inspects). Otherwise: choose a base (registry or host-assembled), bundle with esbuild, build.
 * Images carry the labels dockmesh.image, dockmesh.hash and dockmesh.base.
 */
export async function ensureImages(options: EnsureImagesOptions = {}): Promise<MeshImages> {
  const opts = resolveImageOptions(options);
  const engine = new ImageEngine(opts.docker);
  const roles = [...new Set(options.roles ?? (['agent', 'control'] as const))];
  await engine.ping();
  const builder = await builderSources();

  const plans = await Promise.all(
    roles.map(async (role) => {
      const progress = (step: ImageProgress['step'], message: string) => opts.onProgress({ image: role, step, message });
      const hash = contentHash(await meshImageHashInputs(opts.root, role, builder));
      const ref = imageRef(MESH_IMAGES[role].repo, hash);
      progress('hash', `${role} image ${ref}`);
      const exists = !opts.force && (await engine.imageId(ref)) !== undefined;
      if (exists) progress('cached', `${ref} is up to date`);
      return { role, hash, ref, exists, progress };
    }),
  );

  const result: MeshImages = { agent: '', control: '', built: [] };
  for (const p of plans) result[p.role] = p.ref;
  const todo = plans.filter((p) => !p.exists);
  if (todo.length === 0) return result;

  const base = await chooseBase(engine, options, (step, message) => opts.onProgress({ image: 'base', step, message }));
  await Promise.all(
    todo.map(async (p) => {
      const running = inFlight.get(p.ref);
      if (running) return running;
      const job = (async () => {
        const spec = MESH_IMAGES[p.role];
        const started = Date.now();
        p.progress('bundle', `bundling ${spec.entry}`);
        const [out] = await bundle({ root: opts.root, entries: [{ name: p.role, entry: spec.entry }] });
        p.progress('bundle', `${out!.file}: ${bundleSize(out!)} from ${out!.inputs.length} project files`);
        let dockerfile: Buffer;
        try {
          dockerfile = await readFile(join(opts.root, spec.dockerfile));
        } catch (err) {
          throw new ImageError(IMAGE_ERROR_CODES.source, `cannot read ${spec.dockerfile}: ${(err as Error).message}`, { cause: err });
        }
        p.progress('build', `docker build ${p.ref} FROM ${base}`);
        await engine.build({
          context: tarArchive(meshImageContext(dockerfile, out!)),
          tags: [p.ref],
          buildargs: { BASE: base },
          labels: { [IMAGE_LABEL]: p.role, [HASH_LABEL]: p.hash, [BASE_LABEL]: base },
          onLog: (line) => p.progress('log', line),
        });
        result.built.push(p.role);
        p.progress('done', `built ${p.ref} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      })();
      inFlight.set(p.ref, job);
      try {
        await job;
      } finally {
        inFlight.delete(p.ref);
      }
    }),
  );
  return result;
}
