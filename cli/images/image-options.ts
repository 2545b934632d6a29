import { resolve } from 'node:path';
import Docker from 'dockerode';

/** What the builder is doing, for the CLI to show. One event per step; `log` carries build output. */
export interface ImageProgress {
  /** Which image: `agent`, `control`, `base`, `example-<name>`. */
  image: string;
  step: 'hash' | 'cached' | 'bundle' | 'base' | 'build' | 'log' | 'tag' | 'done';
  message: string;
}

/** Options shared by `ensureImages`, `ensureBaseImage` and `ensureExampleImage`. */
export interface ImageOptions {
  /** Repository root (holds agent/, control/, wire/, compose/, examples/). Default: this checkout. */
  root?: string;
  /** Engine client. Default: `new Docker()` (honours DOCKER_HOST). */
  docker?: Docker;
  /** Called for each step. Must not throw. */
  onProgress?: (p: ImageProgress) => void;
  /** Rebuild even if an image with the same content hash exists (also: env DOCKMESH_REBUILD=1). */
  force?: boolean;
}

/** {@link ImageOptions} with defaults filled in. */
export interface ResolvedImageOptions {
  root: string;
  docker: Docker;
  onProgress: (p: ImageProgress) => void;
  force: boolean;
}

/** The checkout this file lives in: cli/images/ → repository root. */
export const DEFAULT_ROOT = resolve(import.meta.dirname, '..', '..');

/** Fills in defaults; `env` is a parameter so tests can pass their own. */
export function resolveImageOptions(opts: ImageOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedImageOptions {
  return {
    root: opts.root ?? DEFAULT_ROOT,
    docker: opts.docker ?? new Docker(),
    onProgress: opts.onProgress ?? (() => {}),
    force: opts.force ?? (env.DOCKMESH_REBUILD === '1' || env.DOCKMESH_REBUILD === 'true'),
  };
}
