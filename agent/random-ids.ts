/**
 * Random identifiers the agent mints per request: `x-request-id` UUIDs, W3C trace and span ids, and
 * consistent-hash cookie values. None is a secret (a client may send any of them itself), so they
 * come from V8's Math.random (xorshift128+, seeded from the operating system per process), as the
 * OpenTelemetry JS SDK's ids do, not from node:crypto: an agent without a workload identity never
 * loads node:crypto, about 0.6 MB of its memory (docs/agent.md, "Memory").
 */

const POOL_BYTES = 4096;
const ZERO_SPAN = '0000000000000000';
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Random bytes cut from a 4 KiB pool refilled 32 bits at a time. */
export class RandomIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #at = POOL_BYTES;

  /** The offset of `n` fresh bytes in the pool. */
  #take(n: number): number {
    if (this.#at + n > POOL_BYTES) {
      const pool = this.#pool;
      for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);
      this.#at = 0;
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** `n` random bytes as lower-case hex. */
  hex(n: number): string {
    const at = this.#take(n);
    return this.#pool.toString('hex', at, at + n);
  }

  /** A version 4 UUID (RFC 9562), lower-case. */
  uuid(): string {
    const p = this.#pool;
    const i = this.#take(16);
    const h = (k: number) => HEX[p[i + k]!]!;
    return (
      h(0) + h(1) + h(2) + h(3) + '-' + h(4) + h(5) + '-' +
      HEX[(p[i + 6]! & 0x0f) | 0x40]! + h(7) + '-' + HEX[(p[i + 8]! & 0x3f) | 0x80]! + h(9) + '-' +
      h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
    );
  }

  /** A W3C trace id: 32 hex digits, never all zero. */
  traceId(): string {
    return this.spanId() + this.hex(8);
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
