/**
 * The image builder: the agent, control, base and example images, built from this checkout,
 * tagged by content hash, rebuilt only when their sources change. See docs/images.md.
 */
export { ensureImages, type EnsureImagesOptions, type MeshImages } from './ensure-images.ts';
export { ensureBaseImage } from './ensure-base-image.ts';
export { ensureExampleImage, type ExampleImage } from './ensure-example-image.ts';
export { bundle, type BundleEntry, type BundleOptions, type BundleOutput } from './bundler.ts';
export type { ImageOptions, ImageProgress } from './image-options.ts';
export { ImageError, IMAGE_ERROR_CODES, type ImageErrorCode } from './image-error.ts';
export { BASE_ENV, BASE_LABEL, HASH_LABEL, IMAGE_LABEL, MESH_IMAGES, type MeshImageRole } from './image-catalog.ts';
