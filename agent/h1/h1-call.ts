/**
 * One request on an {@link H1Pool} with its answer as a promise and a streamed body: what the
 * agent's control client and trace exporter need of undici's `request` API (a status, a body read
 * as it arrives or whole, undici's headers and body timeouts, an abort signal), without loading
 * undici.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { DETACHED, type Controller, type Handler } from '../dispatch/dispatch.ts';
import { H1Error } from './h1-errors.ts';
import type { H1Pool } from './h1-pool.ts';

/** What {@link h1Call} sends. */
export interface H1CallOptions {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  /** No response head this long after the request was sent: UND_ERR_HEADERS_TIMEOUT. */
  headersTimeout: number;
  /** No body byte this long (between chunks, not while the reader holds the body back, as undici counts it): UND_ERR_BODY_TIMEOUT. */
  bodyTimeout: number;
}

/** The answer: its status, its headers, and its body to read. */
export interface H1Answer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: AnswerBody;
}

/** Chunks held before the connection stops reading (backpressure). */
const HIGH_WATER_CHUNKS = 16;

/** Sends a request; resolves with the answer once its head has come, rejects if none comes. */
export function h1Call(pool: H1Pool, o: H1CallOptions): Promise<H1Answer> {
  return new Promise((resolve, reject) => {
    const headers: string[] = [];
    for (const [name, value] of Object.entries(o.headers)) headers.push(name, value);
    const call = new Call(o, resolve, reject);
    try {
      pool.dispatch({ method: o.method, path: o.path, headers, body: o.body === undefined ? null : typeof o.body === 'string' ? Buffer.from(o.body) : o.body }, call);
    } catch (err) {
      call.onResponseError(DETACHED, err as Error);
    }
  });
}

/** The handler of one {@link h1Call}. */
class Call implements Handler {
  readonly #o: H1CallOptions;
  readonly #resolve: (a: H1Answer) => void;
  readonly #reject: (err: Error) => void;
  #controller: Controller | null = null;
  #body: AnswerBody | null = null;
  #timer: NodeJS.Timeout | null = null;
  #settled = false;
  readonly #onAbort = (): void => this.#abort(this.#o.signal.reason as Error);

  constructor(o: H1CallOptions, resolve: (a: H1Answer) => void, reject: (err: Error) => void) {
    this.#o = o;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    const signal = this.#o.signal;
    if (signal.aborted) return this.#abort(signal.reason as Error);
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#arm(this.#o.headersTimeout, 'UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error');
  }

  onResponseStart(controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    // The reader coming back starts the body timer over, as a chunk does.
    const body = (this.#body = new AnswerBody(controller, () => this.#timer?.refresh()));
    this.#arm(this.#o.bodyTimeout, 'UND_ERR_BODY_TIMEOUT', 'Body Timeout Error');
    this.#resolve({ statusCode, headers, body });
  }

  onResponseData(_c: Controller, chunk: Buffer): void {
    this.#timer?.refresh();
    this.#body?.push(chunk);
  }

  onResponseEnd(): void {
    this.#done();
    this.#body?.end(null);
  }

  onResponseError(_c: Controller, err: Error): void {
    this.#done();
    if (this.#body) this.#body.end(err);
    else this.#reject(err);
  }

  #arm(ms: number, code: string, message: string): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = ms > 0 ? setTimeout(() => this.#expired(code, message), ms) : null;
  }

  #expired(code: string, message: string): void {
    // As undici: a body the reader has paused (backpressure) does not time out meanwhile.
    if (this.#body?.paused) return void this.#timer?.refresh();
    this.#abort(new H1Error(code, message));
  }

  #abort(reason: Error): void {
    if (this.#settled) return;
    if (this.#controller) this.#controller.abort(reason);
    else this.onResponseError(DETACHED, reason);
  }

  #done(): void {
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#o.signal.removeEventListener('abort', this.#onAbort);
  }
}

/** A response body: read chunk by chunk (`for await`, UTF-8 text), or whole. */
export class AnswerBody implements AsyncIterable<string> {
  readonly #controller: Controller;
  readonly #onResume: (() => void) | undefined;
  readonly #chunks: Buffer[] = [];
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #paused = false;

  /** Reading stopped because too many chunks wait for the reader. */
  get paused(): boolean {
    return this.#paused;
  }
  readonly #decoder = new TextDecoder();

  /** `onResume`: called when the reader has caught up and the connection reads again. */
  constructor(controller: Controller, onResume?: () => void) {
    this.#controller = controller;
    this.#onResume = onResume;
  }

  /** A chunk from the connection; reading stops while too many wait. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    if (!this.#paused && this.#chunks.length >= HIGH_WATER_CHUNKS) {
      this.#paused = true;
      this.#controller.pause();
    }
    this.#notify();
  }

  /** The body ended (`null`) or failed. */
  end(err: Error | null): void {
    this.#ended = true;
    this.#error = err;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) {
        if (this.#paused && this.#chunks.length <= HIGH_WATER_CHUNKS / 2) {
          this.#paused = false;
          this.#controller.resume();
          this.#onResume?.();
        }
        const text = this.#decoder.decode(chunk, { stream: true });
        if (text) yield text;
        continue;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        const rest = this.#decoder.decode();
        if (rest) yield rest;
        return;
      }
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** The whole body as text. */
  async text(): Promise<string> {
    let out = '';
    for await (const s of this) out += s;
    return out;
  }

  /** The whole body as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** Reads the body to its end, keeping nothing. */
  async dump(): Promise<void> {
    for await (const _ of this);
  }
}
