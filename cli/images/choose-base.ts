import { BASE_ENV, REGISTRY_BASE } from './image-catalog.ts';
import type { ImageEngine } from './image-engine.ts';
import type { ImageOptions, ImageProgress } from './image-options.ts';
import { ensureBaseImage } from './ensure-base-image.ts';

/** What {@link BASE_ENV} asks for: the host base, a given image, or nothing (decide by probing). */
export type BaseOverride = { kind: 'host' } | { kind: 'ref'; ref: string } | undefined;

/** Reads the base image override from the environment. Pure. */
export function baseOverride(env: NodeJS.ProcessEnv): BaseOverride {
  const v = env[BASE_ENV]?.trim();
  if (!v) return undefined;
  return v === 'host' ? { kind: 'host' } : { kind: 'ref', ref: v };
}

/** Registry probe results, per engine, for the life of the process. */
const probes = new Map<string, Promise<boolean>>();

/**
 * The base image for the mesh and example Dockerfiles' `BASE` build argument. In order: the
 * DOCKMESH_BASE_IMAGE override; node:20-bookworm-slim when it is already local or a registry
 * answers a pull within 5 s (probed once per engine and process); else the host-assembled base
 * (`options` are passed on to ensureBaseImage).
 */
export async function chooseBase(
  engine: Pick<ImageEngine, 'key' | 'imageId' | 'tryPull'>,
  options: ImageOptions,
  progress: (step: ImageProgress['step'], message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const override = baseOverride(env);
  if (override?.kind === 'ref') {
    progress('base', `base image ${override.ref} (from ${BASE_ENV})`);
    if (!(await engine.imageId(override.ref)) && !(await engine.tryPull(override.ref, 30_000))) {
      progress('base', `${override.ref} is neither local nor pullable; the build will fail if docker cannot find it`);
    }
    return override.ref;
  }
  if (!override) {
    if (await engine.imageId(REGISTRY_BASE)) {
      progress('base', `base image ${REGISTRY_BASE} (local)`);
      return REGISTRY_BASE;
    }
    let probe = probes.get(engine.key);
    if (!probe) probes.set(engine.key, (probe = engine.tryPull(REGISTRY_BASE)));
    if (await probe) {
      progress('base', `base image ${REGISTRY_BASE} (pulled)`);
      return REGISTRY_BASE;
    }
    progress('base', `no registry answers; assembling a base image from this host`);
  }
  const ref = await ensureBaseImage(options);
  progress('base', `base image ${ref} (host-assembled)`);
  return ref;
}
