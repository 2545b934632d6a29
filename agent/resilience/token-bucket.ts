import type { RateLimitSnapshot } from '../../wire/types.ts';

/**
 * A local rate limit as Envoy's local_ratelimit token bucket (pure; time is passed in): starts full,
 * gains `tokensPerFill` every `fillIntervalMs` (in whole intervals), holds at most `maxTokens`; each
 * request takes one token.
 */
export class TokenBucket {
  readonly config: RateLimitSnapshot;
  #tokens: number;
  #lastFill: number;

  constructor(config: RateLimitSnapshot, now: number) {
    this.config = config;
    this.#tokens = config.maxTokens;
    this.#lastFill = now;
  }

  #refill(now: number): void {
    const { fillIntervalMs, tokensPerFill, maxTokens } = this.config;
    if (now - this.#lastFill < fillIntervalMs) return;
    const fills = Math.floor((now - this.#lastFill) / fillIntervalMs);
    this.#tokens = Math.min(maxTokens, this.#tokens + fills * tokensPerFill);
    this.#lastFill += fills * fillIntervalMs;
  }

  /** Takes a token; false when there is none. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Tokens left now. */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Whole seconds until the next fill (at least 1): the Retry-After of a limited request. */
  retryAfterSeconds(now: number): number {
    this.#refill(now);
    return Math.max(1, Math.ceil((this.#lastFill + this.config.fillIntervalMs - now) / 1000));
  }

  /** Same configuration (a new snapshot keeps the bucket, and its tokens, when equal). */
  sameAs(config: RateLimitSnapshot): boolean {
    const c = this.config;
    return c.maxTokens === config.maxTokens && c.tokensPerFill === config.tokensPerFill && c.fillIntervalMs === config.fillIntervalMs;
  }
}
