import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const ZERO_SPAN = '0000000000000000';

/**
 * Random trace ids (16 bytes) and span ids (8 bytes) as lower-case hex, cut from a pool of random
 * bytes refilled 4 KiB at a time, so an id costs a slice and a hex conversion, not a system call.
 */
export class SpanIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #at = POOL_BYTES;

  #take(n: number): string {
    if (this.#at + n > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const s = this.#pool.toString('hex', this.#at, this.#at + n);
    this.#at += n;
    return s;
  }

  /** 32 hex digits, never all zero. */
  traceId(): string {
    const hi = this.spanId();
    return hi + this.#take(8);
  }

  /** 16 hex digits, never all zero. */
  spanId(): string {
    let s = this.#take(8);
    while (s === ZERO_SPAN) s = this.#take(8);
    return s;
  }
}
