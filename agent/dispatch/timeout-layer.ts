import { REPLY } from './local-reply.ts';
import type { Controller, Dispatch, Handler } from './dispatch.ts';

/**
 * The route timeout (Istio `timeout`, Envoy's route timeout): one timer for the whole request,
 * across every attempt and back-off, until the response has ended. When it fires the request is
 * aborted with 504 and flag UT (or, when the response had started, the downstream is reset).
 */
export function timeoutLayer(timeoutMs: number, next: Dispatch): Dispatch {
  return (call, handler) => next(call, new TimedRequest(timeoutMs, handler));
}

class TimedRequest implements Handler {
  readonly #down: Handler;
  readonly #timer: NodeJS.Timeout;
  #controller: Controller | null = null;
  #fired = false;

  constructor(ms: number, down: Handler) {
    this.#down = down;
    this.#timer = setTimeout(() => {
      this.#fired = true;
      this.#controller?.abort(REPLY.routeTimeout);
    }, ms);
  }

  onRequestStart(c: Controller, context: unknown): void {
    this.#controller = c;
    if (this.#fired) c.abort(REPLY.routeTimeout);
    this.#down.onRequestStart(c, context);
  }

  onResponseStart(c: Controller, status: number, headers: Parameters<Handler['onResponseStart']>[2], message?: string): void {
    this.#down.onResponseStart(c, status, headers, message);
  }

  onResponseData(c: Controller, chunk: Buffer): void {
    this.#down.onResponseData(c, chunk);
  }

  onResponseEnd(c: Controller, trailers: Parameters<Handler['onResponseEnd']>[1]): void {
    clearTimeout(this.#timer);
    this.#down.onResponseEnd(c, trailers);
  }

  onResponseError(c: Controller, err: Error): void {
    clearTimeout(this.#timer);
    this.#down.onResponseError(c, this.#fired ? REPLY.routeTimeout : err);
  }
}

