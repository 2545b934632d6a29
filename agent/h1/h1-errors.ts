/**
 * The errors of the HTTP/1.1 upstream client, with undici's codes: the dispatch layers map codes to
 * retry and outlier-detection outcomes (local-reply.ts) whichever client reported them.
 */
export class H1Error extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The connection broke or the upstream answered something that is not a response to the request. */
export const socketError = (message: string): H1Error => new H1Error('UND_ERR_SOCKET', message);
/** The request cannot be written as HTTP/1.1 (a bad header name or value, a framing header). */
export const invalidArgument = (message: string): H1Error => new H1Error('UND_ERR_INVALID_ARG', message);
export const connectTimeout = (ms: number): H1Error => new H1Error('UND_ERR_CONNECT_TIMEOUT', `connect timeout (${ms} ms)`);
export const poolClosed = (): H1Error => new H1Error('UND_ERR_CLOSED', 'the pool is closed');
export const poolDestroyed = (): H1Error => new H1Error('UND_ERR_DESTROYED', 'the pool was destroyed');
export const requestAborted = (): H1Error => new H1Error('UND_ERR_ABORTED', 'request aborted');
