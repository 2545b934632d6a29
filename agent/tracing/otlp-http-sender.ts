import { h1Call } from '../h1/h1-call.ts';
import { H1Pool } from '../h1/h1-pool.ts';
import type { TraceProtocol } from '../../wire/types.ts';
import { ExportRejected, retryAfterMs } from './export-retry.ts';

/** Default bound on one export request, connect to last response byte. */
export const EXPORT_TIMEOUT_MS = 5000;

/**
 * POSTs OTLP bodies (binary protobuf or JSON, as `protocol` says) to a collector's traces URL (e.g.
 * `http://jaeger:4318/v1/traces`) over one keep-alive connection. A request that takes longer than
 * `timeoutMs` is aborted and fails; any answer but 2xx fails.
 *
 * It speaks through the agent's own HTTP/1.1 client (agent/h1/, h1Call), as the upstream pools do,
 * not through node:http's client: that client shares its parser callbacks and its OutgoingMessage
 * and stream code with the agent's HTTP server, and one export a second left that code polymorphic,
 * which every proxied request then paid for (docs/observability.md, "Cost"). Nor through undici's
 * Pool, which the data path no longer uses: its socket reads ('readable' and read()) would be the
 * only ones of their kind in the process.
 */
export class OtlpHttpSender {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #pool: H1Pool;
  readonly #contentType: string;

  constructor(endpoint: string, protocol: TraceProtocol, timeoutMs = EXPORT_TIMEOUT_MS) {
    this.#contentType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    const url = new URL(endpoint);
    this.#path = `${url.pathname}${url.search}`;
    this.#timeoutMs = timeoutMs;
    // The export's own deadline (send) is what fails a slow export.
    this.#pool = new H1Pool(url.origin, { connectTimeout: timeoutMs });
  }

  /** Sends one body, the concatenation of `chunks`; resolves on 2xx. */
  async send(chunks: Buffer[]): Promise<void> {
    // One Buffer: the batcher hands its batch as one slice of its buffer (the resource written in
    // front); anything else is joined, though that is a copy of up to 1 MiB: a Buffer body is written with a plain
    // cork/write/uncork, where an iterable body (the chunks as they are) adds and removes 'drain'
    // and 'close' listeners on the socket for every export, the event code every proxied request
    // runs. Measured (through undici) with --trace-deopt at 1%, 50 s of load, two agents each: 37
    // and 38 deopts with the chunks as an iterable, 26 and 23 with one Buffer.
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    // One deadline for the whole export, connect to last response byte.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no answer in ${this.#timeoutMs} ms`)), this.#timeoutMs);
    try {
      const answer = await h1Call(this.#pool, {
        method: 'POST',
        path: this.#path,
        headers: { 'content-type': this.#contentType },
        body,
        signal: deadline.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      await answer.body.dump();
      if (answer.statusCode < 200 || answer.statusCode >= 300) throw new ExportRejected(answer.statusCode, retryAfterMs(answer.headers['retry-after']));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.#pool.destroy().catch(() => {});
  }
}
