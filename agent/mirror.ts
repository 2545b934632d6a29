import type { IncomingHttpHeaders } from 'node:http';
import type { ClusterHost } from './cluster.ts';
import type { BodySource, Controller, Handler, UpstreamCall } from './dispatch/dispatch.ts';
import type { PoolSpec } from './upstream-pools.ts';

/** A fully received request body, sent as is. */
class FixedBody implements BodySource {
  readonly #chunks: Buffer[];
  readonly replayable = true;

  constructor(chunks: Buffer[]) {
    this.#chunks = chunks;
  }

  async *stream(): AsyncIterable<Buffer> {
    yield* this.#chunks;
  }
}

/**
 * A mirrored copy of a request (Istio `mirror`/`mirrors`): fire and forget. Its response is read
 * and dropped; it never affects the original request. The `Host` carries the `-shadow` suffix.
 */
export class Mirror implements UpstreamCall, Handler {
  readonly method: string;
  readonly upstreamPath: string;
  readonly upstreamHeaders: string[];
  readonly attemptHeaders: string[];
  readonly body: BodySource | null;
  readonly h2: boolean;
  readonly tried: ClusterHost[] = [];
  hash: number | undefined;
  readonly original = undefined;
  attempts = 0;
  retries = 0;
  flags = '';
  pool: PoolSpec | undefined;
  status = 0;

  constructor(method: string, path: string, headers: string[], chunks: Buffer[] | null, h2: boolean) {
    this.method = method;
    this.upstreamPath = path;
    this.upstreamHeaders = headers;
    this.attemptHeaders = headers;
    this.body = chunks ? new FixedBody(chunks) : null;
    this.h2 = h2;
  }

  onHost(host: ClusterHost): undefined {
    this.attempts++;
    this.pool = this.h2 ? host.h2pool : host.pool;
    return undefined;
  }

  onRequestStart(_c: Controller): void {}

  onResponseStart(_c: Controller, status: number, _h: IncomingHttpHeaders): void {
    this.status = status;
  }

  onResponseData(): void {}

  onResponseEnd(): void {}

  onResponseError(): void {}
}
