import type { Readable } from 'node:stream';

/** Request bytes kept for retries and mirrors (Envoy's default per-request buffer limit). */
export const BODY_BUFFER_LIMIT = 1024 * 1024;

/**
 * A downstream request body read once and handed to each upstream attempt as a fresh stream. While
 * it stays within `limit` bytes every chunk is kept, so a retry (or a mirror) replays it; past the
 * limit the kept chunks are dropped and only the attempt in progress continues: the request can no
 * longer be retried. Reading is pulled by the attempt (backpressure holds). `limit` 0: nothing kept.
 */
export class ReplayableBody {
  readonly #source: AsyncIterator<unknown>;
  readonly #limit: number;
  #chunks: Buffer[] = [];
  /** Index (in the whole body) of `#chunks[0]`. */
  #base = 0;
  #kept = true;
  #ended = false;
  #error: unknown;
  #pulling: Promise<void> | null = null;
  #streams = 0;
  #done: Array<(chunks: Buffer[] | null) => void> = [];
  /** Bytes read from the downstream so far. */
  bytes = 0;

  constructor(source: Readable, limit = BODY_BUFFER_LIMIT) {
    this.#source = source.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
    this.#limit = limit;
    if (limit === 0) this.#kept = false;
  }

  /** Whether another attempt can still send the whole body. */
  get replayable(): boolean {
    return this.#kept || this.#streams === 0;
  }

  /** Whether any byte was handed to an attempt. */
  get started(): boolean {
    return this.#streams > 0;
  }

  #pull(): Promise<void> {
    this.#pulling ??= this.#source.next().then(
      (r) => {
        this.#pulling = null;
        if (r.done) {
          this.#ended = true;
          const chunks = this.#kept ? this.#chunks : null;
          for (const w of this.#done.splice(0)) w(chunks);
          return;
        }
        const chunk = r.value as Buffer;
        this.bytes += chunk.length;
        this.#chunks.push(chunk);
        if (this.#kept && this.bytes > this.#limit) this.#kept = false;
      },
      (err) => {
        this.#pulling = null;
        this.#error = err;
        this.#ended = true;
        for (const w of this.#done.splice(0)) w(null);
      },
    );
    return this.#pulling;
  }

  /** A fresh body stream for one attempt (undici accepts async iterables). */
  stream(): AsyncIterable<Buffer> {
    this.#streams++;
    const self = this;
    return (async function* () {
      let i = self.#kept ? 0 : self.#base;
      for (;;) {
        if (i < self.#base) throw new Error('request body no longer buffered');
        const at = i - self.#base;
        if (at < self.#chunks.length) {
          const chunk = self.#chunks[at]!;
          i++;
          if (!self.#kept) {
            // Nothing will be replayed: drop what this (only) stream has consumed.
            self.#chunks.splice(0, at + 1);
            self.#base = i;
          }
          yield chunk;
          continue;
        }
        if (self.#ended) {
          if (self.#error) throw self.#error;
          return;
        }
        await self.#pull();
      }
    })();
  }

  /** The whole body once read, or null when it was not kept (past the limit, or failed). */
  complete(): Promise<Buffer[] | null> {
    if (this.#ended) return Promise.resolve(this.#kept && !this.#error ? this.#chunks : null);
    return new Promise((resolve) => this.#done.push(resolve));
  }

  /** Reads the rest of the body (a mirror of a request whose attempts stopped reading). */
  drain(): void {
    const step = (): void => {
      if (this.#ended || !this.#kept) return;
      void this.#pull().then(step);
    };
    step();
  }
}
