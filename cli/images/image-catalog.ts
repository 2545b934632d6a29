/** The images dockmesh builds, and how each is named and labelled. Pure data and helpers. */

/** The mesh's own images. */
export type MeshImageRole = 'agent' | 'control';

/** How one mesh image is made. Paths are relative to the repository root. */
export interface MeshImageSpec {
  role: MeshImageRole;
  /** Image repository; the tag is the content hash. */
  repo: string;
  /** Bundle entry point. */
  entry: string;
  dockerfile: string;
}

/** Both mesh images. */
export const MESH_IMAGES: Readonly<Record<MeshImageRole, MeshImageSpec>> = {
  agent: { role: 'agent', repo: 'dockmesh/agent', entry: 'agent/main.ts', dockerfile: 'compose/agent/Dockerfile' },
  control: { role: 'control', repo: 'dockmesh/control', entry: 'control/main.ts', dockerfile: 'compose/control/Dockerfile' },
};

/** Label on every image the builder makes: `agent`, `control`, `base` or `example`. */
export const IMAGE_LABEL = 'dockmesh.image';
/** Label carrying the content hash an image was built from. */
export const HASH_LABEL = 'dockmesh.hash';
/** Label carrying the base image an image was built `FROM`. */
export const BASE_LABEL = 'dockmesh.base';

/** Repository of the host-assembled base image. */
export const BASE_REPO = 'dockmesh/base';
/** The Dockerfiles' default base; used when a registry answers. */
export const REGISTRY_BASE = 'node:20-bookworm-slim';
/** Environment override of the base image: an image reference, or `host` to force the host base. */
export const BASE_ENV = 'DOCKMESH_BASE_IMAGE';

/** Files every image hash covers besides its own sources: the lockfile pins the bundled dependencies. */
export const COMMON_HASH_FILES = ['package-lock.json'];
/** The builder's own directory: editing the builder rebuilds every image. */
export const BUILDER_DIR = 'cli/images';

/** Image repository of an example project: `dockmesh/example-shop`. */
export function exampleRepo(name: string): string {
  return `dockmesh/example-${name}`;
}

/** Tag the compose files of the examples use. */
export const EXAMPLE_DEV_TAG = 'dev';

/** `repo:tag`. */
export function imageRef(repo: string, tag: string): string {
  return `${repo}:${tag}`;
}

/** Example names are directory names under examples/: lower-case, digits, dashes. */
export function isExampleName(name: string): boolean {
  return /^[a-z0-9][a-z0-9-]*$/.test(name);
}
