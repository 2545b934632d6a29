import type { Controller, Handler } from '../dispatch/dispatch.ts';
import { H1Pool } from '../h1/h1-pool.ts';

/** Default bound on one export request, connect to last response byte. */
export const EXPORT_TIMEOUT_MS = 5000;

/**
 * POSTs OTLP/JSON bodies to a collector's traces URL (e.g. `http://jaeger:4318/v1/traces`) over one
 * keep-alive connection. A request that takes longer than `timeoutMs` is aborted and fails; any
 * answer but 2xx fails.
 *
 * It speaks through the agent's own HTTP/1.1 client (agent/h1/) with a dispatch handler, as the
 * upstream pools do, not through node:http's client: that client shares its parser callbacks and its
 * OutgoingMessage and stream code with the agent's HTTP server, and one export a second left that
 * code polymorphic, which every proxied request then paid for (docs/observability.md, "Cost"). Nor
 * through undici's Pool, which the data path no longer uses: its socket reads ('readable' and
 * read()) would be the only ones of their kind in the process.
 */
export class OtlpHttpSender {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #pool: H1Pool;

  constructor(endpoint: string, timeoutMs = EXPORT_TIMEOUT_MS) {
    const url = new URL(endpoint);
    this.#path = `${url.pathname}${url.search}`;
    this.#timeoutMs = timeoutMs;
    // The call's own deadline (ExportCall) is what fails a slow export.
    this.#pool = new H1Pool(url.origin, { connectTimeout: timeoutMs });
  }

  /** Sends one body, the concatenation of `chunks`; resolves on 2xx. */
  send(chunks: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      // One Buffer, though a batch is up to 1 MiB to copy: a Buffer body is written with a plain
      // cork/write/uncork, where an iterable body (the chunks as they are) adds and removes 'drain'
      // and 'close' listeners on the socket for every export, the event code every proxied request
      // runs. Measured (through undici) with --trace-deopt at 1%, 50 s of load, two agents each: 37
      // and 38 deopts with the chunks as an iterable, 26 and 23 with one Buffer.
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const call = new ExportCall(resolve, reject, this.#timeoutMs);
      try {
        this.#pool.dispatch({ path: this.#path, method: 'POST', headers: ['content-type', 'application/json'], body }, call);
      } catch (err) {
        call.fail(err as Error);
      }
    });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.#pool.destroy().catch(() => {});
  }
}

/** One export request: settles once, on its answer, its error, or its deadline. */
class ExportCall implements Handler {
  readonly #resolve: () => void;
  readonly #reject: (err: Error) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  #controller: Controller | null = null;
  #status = 0;
  #settled = false;

  constructor(resolve: () => void, reject: (err: Error) => void, timeoutMs: number) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timeoutMs = timeoutMs;
    this.#timer = setTimeout(() => this.#timedOut(), timeoutMs);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    // Timed out while queued or connecting: the request goes no further.
    if (this.#settled) controller.abort(new Error('export timed out'));
  }

  onResponseStart(_c: Controller, statusCode: number): void {
    if (statusCode >= 200) this.#status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    const s = this.#status;
    this.#settle(s >= 200 && s < 300 ? undefined : new Error(`collector answered ${s}`));
  }

  onResponseError(_c: Controller, err: Error): void {
    this.fail(err);
  }

  fail(err: Error): void {
    this.#settle(err);
  }

  #timedOut(): void {
    const err = new Error(`no answer in ${this.#timeoutMs} ms`);
    this.#settle(err);
    this.#controller?.abort(err);
  }

  #settle(err: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    if (err) this.#reject(err);
    else this.#resolve();
  }
}
