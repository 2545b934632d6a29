/**
 * Random identifiers the agent mints per request: `x-request-id` UUIDs, W3C trace and span ids, and
 * consistent-hash cookie values. None is a secret (a client may send any of them itself), so they
 * come from V8's Math.random (xorshift128+, seeded from the operating system per process), as the
 * OpenTelemetry JS SDK's ids do, not from node:crypto: an agent without a workload identity never
 * loads node:crypto, about 0.6 MB of its memory (docs/agent.md, "Memory").
 */

const POOL_BYTES = 4096;
const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = ZERO_SPAN + ZERO_SPAN;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Random bytes cut from a 4 KiB pool refilled 32 bits at a time. The pool is also kept as one hex
 * string, made once per refill, so that a hex id is a slice of it (V8 makes a slice of 13 or more
 * characters without copying) instead of a native call per id.
 */
export class RandomIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #hexPool = '';
  #at = POOL_BYTES;

  /** The offset of `n` fresh bytes in the pool. */
  #take(n: number): number {
    if (this.#at + n > POOL_BYTES) {
      const pool = this.#pool;
      for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);
      this.#hexPool = pool.toString('hex');
      this.#at = 0;
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** `n` random bytes as lower-case hex. */
  hex(n: number): string {
    const at = this.#take(n);
    return this.#hexPool.substring(at * 2, (at + n) * 2);
  }

  /** A version 4 UUID (RFC 9562), lower-case; written out in full (a helper closure made it 4× slower). */
  uuid(): string {
    const p = this.#pool;
    const i = this.#take(16);
    return (
      HEX[p[i]!]! + HEX[p[i + 1]!]! + HEX[p[i + 2]!]! + HEX[p[i + 3]!]! + '-' +
      HEX[p[i + 4]!]! + HEX[p[i + 5]!]! + '-' +
      HEX[(p[i + 6]! & 0x0f) | 0x40]! + HEX[p[i + 7]!]! + '-' +
      HEX[(p[i + 8]! & 0x3f) | 0x80]! + HEX[p[i + 9]!]! + '-' +
      HEX[p[i + 10]!]! + HEX[p[i + 11]!]! + HEX[p[i + 12]!]! + HEX[p[i + 13]!]! + HEX[p[i + 14]!]! + HEX[p[i + 15]!]!
    );
  }

  /** A W3C trace id: 32 hex digits, never all zero. */
  traceId(): string {
    let s = this.hex(16);
    while (s === ZERO_TRACE) s = this.hex(16);
    return s;
  }

  /** A W3C span id: 16 hex digits, never all zero. */
  spanId(): string {
    let s = this.hex(8);
    while (s === ZERO_SPAN) s = this.hex(8);
    return s;
  }
}

/** The process's ids (one pool for all their uses). */
export const randomIds = new RandomIds();
