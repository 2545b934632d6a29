/** Reconnect delay policy. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Default reconnect policy toward the control server. */
export const CONTROL_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 10_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): capped exponential with jitter in
 * [half, full] of the capped value, so a fleet of agents does not reconnect in lockstep (pure given
 * `random`).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = CONTROL_BACKOFF, random = Math.random): number {
  const capped = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped * (0.5 + random() * 0.5));
}
