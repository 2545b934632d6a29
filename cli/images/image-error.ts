/** Stable error codes of the image builder. The CLI maps them to exit statuses. */
export const IMAGE_ERROR_CODES = {
  /** The Docker engine did not answer. */
  engine: 'MESH_ERR_IMAGE_ENGINE',
  /** esbuild failed to bundle an entry point. */
  bundle: 'MESH_ERR_IMAGE_BUNDLE',
  /** `docker build` reported an error. */
  build: 'MESH_ERR_IMAGE_BUILD',
  /** The host-assembled base image cannot be made (missing node, busybox-static, iptables, ldd). */
  base: 'MESH_ERR_IMAGE_BASE',
  /** A source file the hash or the build context needs is missing. */
  source: 'MESH_ERR_IMAGE_SOURCE',
  /** `ensureExampleImage` was given a name with no examples/<name>/Dockerfile. */
  example: 'MESH_ERR_IMAGE_EXAMPLE',
} as const;

/** One of {@link IMAGE_ERROR_CODES}. */
export type ImageErrorCode = (typeof IMAGE_ERROR_CODES)[keyof typeof IMAGE_ERROR_CODES];

/** An error of the image builder: a stable `code`, a one-line message, the underlying `cause`. */
export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
    this.code = code;
  }
}
