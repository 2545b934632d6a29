/** Envoy's default retry back-off base. */
export const BACKOFF_BASE_MS = 25;
/** Envoy's cap (`max_interval`) when none is set: ten times the base. */
export const BACKOFF_MAX_FACTOR = 10;
/** Envoy's default cap: ten times the default base. */
export const BACKOFF_MAX_MS = BACKOFF_BASE_MS * BACKOFF_MAX_FACTOR;

/**
 * Delay before retry number `retry` (1 for the first retry), Envoy's fully jittered exponential
 * back-off: uniform in [0, min(base × 2^(retry-1), max)). `random` is injectable for tests (pure).
 */
export function retryBackoffMs(retry: number, random: () => number = Math.random, base = BACKOFF_BASE_MS, max = BACKOFF_MAX_MS): number {
  const interval = Math.min(base * 2 ** Math.max(0, retry - 1), max);
  return Math.floor(random() * interval);
}
