/** Share of a cluster's active requests that may be retries at once (Envoy's budget_percent default). */
export const RETRY_BUDGET_PERCENT = 20;
/** Concurrent retries always allowed, however few requests are active (Envoy's min_retry_concurrency). */
export const RETRY_BUDGET_MIN_CONCURRENCY = 3;

/**
 * Whether one more retry may start (pure): retries in flight stay under `percent` of the cluster's
 * active and pending requests, never below `minConcurrency`, and under `maxRetries`
 * (DestinationRule connectionPool.http.maxRetries). A budget, not a count per request, is what keeps
 * retries from multiplying across hops: when an upstream fails every request, each hop adds at most
 * 20% load instead of multiplying it by (attempts + 1).
 */
export function retryAllowed(
  activeRetries: number,
  activeRequests: number,
  maxRetries = Infinity,
  percent = RETRY_BUDGET_PERCENT,
  minConcurrency = RETRY_BUDGET_MIN_CONCURRENCY,
): boolean {
  if (activeRetries >= maxRetries) return false;
  return activeRetries < Math.max(minConcurrency, Math.floor((activeRequests * percent) / 100));
}
