import { DEFAULT_LOCAL_ORIGIN_FAILURES, type TrafficPolicySnapshot } from '../../wire/types.ts';

/** Istio's outlierDetection, compiled (durations in ms, defaults filled by the control server). */
export type OutlierConfig = NonNullable<TrafficPolicySnapshot['outlierDetection']>;

/** Envoy's default max_ejection_time (Istio does not set it): caps base × ejections. */
export const MAX_EJECTION_MS = 300_000;

/** Per-endpoint outlier state, kept across snapshots while the endpoint stays in its cluster. */
export interface OutlierHost {
  consecutive5xx: number;
  consecutiveGateway: number;
  /** Local-origin failures in a row (counted apart only with splitExternalLocalOriginErrors). */
  consecutiveLocalOrigin: number;
  ejected: boolean;
  /** When the current (or last) ejection started. */
  ejectedAt: number;
  /** Ejection multiplier: base ejection time × this; grows per ejection, shrinks while healthy. */
  ejections: number;
  /** When the host last came back; -1 never. */
  unejectedAt: number;
}

/** A fresh host state. */
export const newOutlierHost = (): OutlierHost => ({ consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocalOrigin: 0, ejected: false, ejectedAt: 0, ejections: 0, unejectedAt: -1 });

/**
 * Envoy's outlier detection for one cluster, as Istio configures it (pure state machine; time is
 * passed in, the caller runs `sweep` every `intervalMs`):
 * - every response code is recorded per endpoint; failures without a response (local origin) count
 *   as Envoy maps them when local-origin errors are not split (connect failure and reset: 503;
 *   timeout: 504); with `splitExternalLocalOriginErrors` they count on their own, and
 *   `consecutiveLocalOriginFailures` (default 5) of them in a row eject; any response resets that;
 * - an HTTP response counts as `responseCode` maps it (`outlierDetectionHttpErrorCodes`);
 * - `consecutive5xxErrors` 5xx in a row (0 disables) or `consecutiveGatewayErrors` 502/503/504 in a
 *   row (unset disables) eject the endpoint at once; any other code resets the counts;
 * - an ejection is allowed while (ejected + 1) / endpoints ≤ `maxEjectionPercent` (Envoy's check;
 *   with the default 10% no endpoint of a service with fewer than 10 can be ejected);
 * - the sweep returns an endpoint once `baseEjectionTimeMs × ejections` (at most 300 s) has passed;
 *   the multiplier drops by one per sweep after the endpoint has stayed healthy for one base time.
 */
export class OutlierDetector<H extends OutlierHost> {
  readonly config: OutlierConfig;
  #hosts: readonly H[] = [];
  #ejected = 0;
  readonly #errorCodes: ReadonlySet<number> | null;

  constructor(config: OutlierConfig) {
    this.config = config;
    this.#errorCodes = config.httpErrorCodes?.length ? new Set(config.httpErrorCodes) : null;
  }

  /**
   * The code an HTTP response counts as. With `outlierDetectionHttpErrorCodes`, Envoy's failure
   * matcher: a listed code is an error (a listed 5xx as itself, so 502–504 stay gateway errors; any
   * other as 500), an unlisted one a success (200), a 5xx too. Without the list: the code itself.
   */
  responseCode(code: number): number {
    const listed = this.#errorCodes;
    if (listed === null) return code;
    return listed.has(code) ? (code >= 500 ? code : 500) : 200;
  }

  /** The endpoints of the cluster (a new snapshot may change them). */
  setHosts(hosts: readonly H[]): void {
    this.#hosts = hosts;
    this.#ejected = hosts.reduce((n, h) => n + (h.ejected ? 1 : 0), 0);
  }

  /** Endpoints ejected now. */
  get ejectedCount(): number {
    return this.#ejected;
  }

  get hostCount(): number {
    return this.#hosts.length;
  }

  /**
   * Records one outcome: a response's status, or (`localOrigin`) a failure without one, as the code
   * Envoy maps it to. Returns true when it ejected `host`.
   */
  record(host: H, code: number, now: number, localOrigin = false): boolean {
    const c = this.config;
    if (c.splitExternalLocalOriginErrors) {
      if (localOrigin) {
        if (host.ejected) return false;
        host.consecutiveLocalOrigin++;
        if (host.consecutiveLocalOrigin < (c.consecutiveLocalOriginFailures ?? DEFAULT_LOCAL_ORIGIN_FAILURES)) return false;
        return this.#eject(host, now);
      }
      // A response: the connection worked.
      host.consecutiveLocalOrigin = 0;
    }
    if (code < 500) {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
      return false;
    }
    if (host.ejected) return false;
    const gateway = code >= 502 && code <= 504;
    host.consecutiveGateway = gateway ? host.consecutiveGateway + 1 : 0;
    host.consecutive5xx++;
    const by5xx = (c.consecutive5xxErrors ?? 0) > 0 && host.consecutive5xx >= c.consecutive5xxErrors!;
    const byGateway = (c.consecutiveGatewayErrors ?? 0) > 0 && host.consecutiveGateway >= c.consecutiveGatewayErrors!;
    if (!by5xx && !byGateway) return false;
    return this.#eject(host, now);
  }

  /** Ejects `host` when `maxEjectionPercent` allows; its counts start over either way. */
  #eject(host: H, now: number): boolean {
    host.consecutive5xx = 0;
    host.consecutiveGateway = 0;
    host.consecutiveLocalOrigin = 0;
    const n = this.#hosts.length;
    if (n === 0 || (100 * (this.#ejected + 1)) / n > this.config.maxEjectionPercent) return false;
    host.ejected = true;
    host.ejectedAt = now;
    host.ejections++;
    this.#ejected++;
    return true;
  }

  /** How long `host`'s current ejection lasts. */
  ejectionMs(host: H): number {
    const base = this.config.baseEjectionTimeMs;
    return Math.min(base * Math.max(1, host.ejections), Math.max(base, MAX_EJECTION_MS));
  }

  /** The interval sweep: returns the endpoints that came back. */
  sweep(now: number): H[] {
    const back: H[] = [];
    const base = this.config.baseEjectionTimeMs;
    for (const h of this.#hosts) {
      if (h.ejected) {
        if (now - h.ejectedAt >= this.ejectionMs(h)) {
          h.ejected = false;
          h.unejectedAt = now;
          h.consecutive5xx = 0;
          h.consecutiveGateway = 0;
          h.consecutiveLocalOrigin = 0;
          this.#ejected--;
          back.push(h);
        }
      } else if (h.ejections > 0 && h.unejectedAt >= 0 && now - h.unejectedAt >= base) {
        h.ejections--;
        h.unejectedAt = now;
      }
    }
    return back;
  }

  /**
   * Whether ejections are ignored for balancing: the healthy share is below `minHealthPercent`
   * (Istio maps it to Envoy's panic threshold; 0 = never).
   */
  panic(): boolean {
    const n = this.#hosts.length;
    if (this.#ejected === 0 || n === 0) return false;
    return (100 * (n - this.#ejected)) / n < this.config.minHealthPercent;
  }
}
