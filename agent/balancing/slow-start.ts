import type { Balanced, Balancer, Eligible } from './balancer.ts';

/** DestinationRule `loadBalancer.warmup`, compiled (Envoy's slow_start_config, as Istio sets it). */
export interface WarmupConfig {
  durationMs: number;
  /** Floor of a warming endpoint's weight, in percent of its full weight (Istio's default 10). */
  minimumPercent: number;
  /** Curve of the ramp: the time factor to the power 1/aggression (Istio's default 1: linear). */
  aggression: number;
}

/** An endpoint as slow start sees it: when it joined its cluster (ms, the agent's monotonic clock). */
export interface Warming extends Balanced {
  readonly addedAt: number;
}

/**
 * The weight factor of an endpoint `ageMs` after it joined (Envoy's applySlowStartFactor): 1 once
 * the window has passed, else max(minimumPercent / 100, (max(age, 1 ms) / window)^(1 / aggression)).
 */
export function warmupFactor(w: WarmupConfig, ageMs: number): number {
  if (ageMs >= w.durationMs) return 1;
  const t = Math.max(1, ageMs) / w.durationMs;
  const aggression = w.aggression > 0 ? w.aggression : 1;
  return Math.max(aggression === 1 ? t : t ** (1 / aggression), w.minimumPercent / 100);
}

/**
 * Slow start over ROUND_ROBIN or LEAST_REQUEST (the two balancers Istio and Envoy give it): while an
 * endpoint of the cluster is younger than the window, endpoints are picked by weight, the warming
 * ones' weights scaled by {@link warmupFactor}, each pick reading the clock. ROUND_ROBIN picks by
 * smooth weighted round robin (the shares of Envoy's EDF scheduler); LEAST_REQUEST by the same over
 * weight / (requests in flight + 1), which is how Envoy's least-request balancer weighs endpoints
 * whose weights differ. When every endpoint has left its window, or all have the same factor (they
 * joined together, as when the agent starts), the plain balancer picks.
 */
export class SlowStart<H extends Warming> implements Balancer<H> {
  readonly #inner: Balancer<H>;
  readonly #hosts: readonly H[];
  readonly #warmup: WarmupConfig;
  readonly #leastRequest: boolean;
  readonly #now: () => number;
  /** When the youngest endpoint leaves its window. */
  readonly #until: number;
  readonly #current: Float64Array;
  readonly #weights: Float64Array;

  constructor(inner: Balancer<H>, hosts: readonly H[], warmup: WarmupConfig, leastRequest: boolean, now: () => number = () => performance.now()) {
    this.#inner = inner;
    this.#hosts = hosts;
    this.#warmup = warmup;
    this.#leastRequest = leastRequest;
    this.#now = now;
    this.#until = hosts.reduce((m, h) => Math.max(m, h.addedAt + warmup.durationMs), -Infinity);
    this.#current = new Float64Array(hosts.length);
    this.#weights = new Float64Array(hosts.length);
  }

  pick(eligible: Eligible<H>, hash: number | undefined, original: H | undefined, retry: boolean): H | undefined {
    const now = this.#now();
    if (now >= this.#until || !this.#weigh(now)) return this.#inner.pick(eligible, hash, original, retry);
    const hosts = this.#hosts;
    const weights = this.#weights;
    const current = this.#current;
    let best = -1;
    let bestValue = 0;
    let total = 0;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!;
      if (eligible && !eligible(h)) {
        weights[i] = 0;
        continue;
      }
      const w = this.#leastRequest ? weights[i]! / (h.active + 1) : weights[i]!;
      weights[i] = w;
      total += w;
      const value = current[i]! + w;
      if (best < 0 || value > bestValue) {
        best = i;
        bestValue = value;
      }
    }
    if (best < 0) return undefined;
    // A retry's pick leaves the rotation as it was (as the plain round robin does).
    if (!retry) {
      for (let i = 0; i < hosts.length; i++) current[i] = current[i]! + weights[i]!;
      current[best] = current[best]! - total;
    }
    return hosts[best];
  }

  /** Fills the weights for `now`; false when they are all equal (no endpoint stands out). */
  #weigh(now: number): boolean {
    let uneven = false;
    for (let i = 0; i < this.#hosts.length; i++) {
      const f = warmupFactor(this.#warmup, now - this.#hosts[i]!.addedAt);
      this.#weights[i] = f;
      if (i > 0 && f !== this.#weights[0]) uneven = true;
    }
    return uneven;
  }
}
