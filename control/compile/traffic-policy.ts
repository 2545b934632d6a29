/**
 * Pure: a DestinationRule → the service's host-level policy and its subsets, with Istio's defaults
 * filled in, durations in milliseconds, and Istio's merge rules applied:
 * - a subset's policy overrides the host-level one section by section (loadBalancer,
 *   connectionPool, outlierDetection, retryBudget are each replaced whole when the subset sets them);
 * - port-level settings replace the policy for that port entirely: sections they leave out are not
 *   inherited from the level above (Istio: "default values will be applied to fields omitted in
 *   port-level traffic policies"); `retryBudget`, which port-level settings cannot set, stays.
 */
import { durationMs } from '../meshfile/duration.ts';
import { WARMUP_BALANCERS, type DestinationRuleSpec, type PortTrafficPolicySpec, type TrafficPolicySpec } from '../meshfile/destination-rule-spec.ts';
import type { SubsetSnapshot, TrafficPolicySnapshot } from '../../wire/types.ts';

/** Istio's outlier-detection defaults (DestinationRule reference, OutlierDetection). */
export const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;

type Sections = Pick<TrafficPolicySpec, 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'retryBudget'>;

/** Istio's RetryBudget defaults (DestinationRule reference; Envoy's budget_percent and min_retry_concurrency). */
export const RETRY_BUDGET_DEFAULTS = { percent: 20, minRetryConcurrency: 3 } as const;

/** A record with its keys in sorted order (stable hashes). */
export function sorted<V>(r: Readonly<Record<string, V>> | undefined): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(r ?? {}).sort()) out[k] = r![k]!;
  return out;
}

function ms(d: string | undefined): number | undefined {
  return d === undefined ? undefined : durationMs(d);
}

/** Drops undefined fields and returns undefined for an empty object. */
function compact<T extends object>(o: T): T | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(out).length ? out : undefined;
}

/** Istio's WarmupConfiguration defaults (pilot's setWarmup: aggression 1, minimumPercent 10, Envoy's). */
export const WARMUP_DEFAULTS = { minimumPercent: 10, aggression: 1 } as const;

/**
 * Slow start as pilot sets it: `warmup` wins over the deprecated `warmupDurationSecs` (a window
 * alone, Envoy's defaults for the rest); only ROUND_ROBIN and LEAST_REQUEST (Istio's default) get it.
 */
function warmupOf(lb: NonNullable<Sections['loadBalancer']>): NonNullable<TrafficPolicySnapshot['loadBalancer']>['warmup'] {
  if (lb.consistentHash || (lb.simple && !WARMUP_BALANCERS.has(lb.simple))) return undefined;
  if (lb.warmup) {
    return { durationMs: durationMs(lb.warmup.duration), minimumPercent: lb.warmup.minimumPercent ?? WARMUP_DEFAULTS.minimumPercent, aggression: lb.warmup.aggression ?? WARMUP_DEFAULTS.aggression };
  }
  return lb.warmupDurationSecs ? { durationMs: durationMs(lb.warmupDurationSecs), ...WARMUP_DEFAULTS } : undefined;
}

function compileSections(s: Sections): TrafficPolicySnapshot | undefined {
  const lb = s.loadBalancer;
  const ch = lb?.consistentHash;
  const cookie = ch?.httpCookie;
  // A DestinationRule that names no balancer gets Istio's default, LEAST_REQUEST (a service with no
  // DestinationRule has no policy at all and is balanced ROUND_ROBIN: DESIGN.md's default).
  const chosen = lb
    ? compact({
        simple: lb.simple === 'LEAST_CONN' ? ('LEAST_REQUEST' as const) : lb.simple,
        warmup: warmupOf(lb),
        consistentHash: ch
          ? compact({
              httpHeaderName: ch.httpHeaderName?.toLowerCase(),
              httpCookie: cookie
                ? compact({
                    name: cookie.name,
                    path: cookie.path,
                    ttlMs: ms(cookie.ttl),
                    attributes: cookie.attributes?.length ? cookie.attributes.map((a) => (a.value ? { name: a.name, value: a.value } : { name: a.name })) : undefined,
                  })!
                : undefined,
              useSourceIp: ch.useSourceIp,
              httpQueryParameterName: ch.httpQueryParameterName,
            })
          : undefined,
      })
    : undefined;
  const loadBalancer = chosen ?? { simple: 'LEAST_REQUEST' as const };
  const cp = s.connectionPool;
  const connectionPool = cp
    ? compact({
        tcp: cp.tcp ? compact({ maxConnections: cp.tcp.maxConnections, connectTimeoutMs: ms(cp.tcp.connectTimeout), idleTimeoutMs: ms(cp.tcp.idleTimeout), maxConnectionDurationMs: ms(cp.tcp.maxConnectionDuration) }) : undefined,
        http: cp.http
          ? compact({
              http1MaxPendingRequests: cp.http.http1MaxPendingRequests,
              http2MaxRequests: cp.http.http2MaxRequests,
              maxRequestsPerConnection: cp.http.maxRequestsPerConnection,
              maxRetries: cp.http.maxRetries,
              idleTimeoutMs: ms(cp.http.idleTimeout),
            })
          : undefined,
      })
    : undefined;
  const od = s.outlierDetection;
  const outlierDetection = od
    ? compact({
        consecutive5xxErrors: od.consecutive5xxErrors ?? OUTLIER_DEFAULTS.consecutive5xxErrors,
        consecutiveGatewayErrors: od.consecutiveGatewayErrors,
        splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors ? (true as const) : undefined,
        consecutiveLocalOriginFailures: od.splitExternalLocalOriginErrors && od.consecutiveLocalOriginFailures ? od.consecutiveLocalOriginFailures : undefined,
        httpErrorCodes: od.outlierDetectionHttpErrorCodes?.length ? [...new Set(od.outlierDetectionHttpErrorCodes)].sort((a, b) => a - b) : undefined,
        intervalMs: ms(od.interval) ?? OUTLIER_DEFAULTS.intervalMs,
        baseEjectionTimeMs: ms(od.baseEjectionTime) ?? OUTLIER_DEFAULTS.baseEjectionTimeMs,
        maxEjectionPercent: od.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent,
        minHealthPercent: od.minHealthPercent ?? OUTLIER_DEFAULTS.minHealthPercent,
      })!
    : undefined;
  const rb = s.retryBudget;
  const retryBudget = rb
    ? { percent: rb.percent ?? RETRY_BUDGET_DEFAULTS.percent, minRetryConcurrency: rb.minRetryConcurrency ?? RETRY_BUDGET_DEFAULTS.minRetryConcurrency }
    : undefined;
  return compact({ loadBalancer, connectionPool, outlierDetection, retryBudget });
}

function sectionsOf(p: TrafficPolicySpec | PortTrafficPolicySpec | undefined): Sections {
  return { loadBalancer: p?.loadBalancer, connectionPool: p?.connectionPool, outlierDetection: p?.outlierDetection, retryBudget: p && 'retryBudget' in p ? p.retryBudget : undefined };
}

function portSettings(p: TrafficPolicySpec | undefined, port: number): PortTrafficPolicySpec | undefined {
  return p?.portLevelSettings?.find((s) => s.port?.number === port);
}

/**
 * Istio's MergeSubsetTrafficPolicy (pilot/pkg/networking/util): `over`'s sections replace `base`'s
 * where set; if `over` has port-level settings for `port`, they replace everything instead.
 */
function merge(base: Sections, over: TrafficPolicySpec | undefined, port: number | undefined): Sections {
  const out: Sections = { ...base };
  if (over?.loadBalancer) out.loadBalancer = over.loadBalancer;
  if (over?.connectionPool) out.connectionPool = over.connectionPool;
  if (over?.outlierDetection) out.outlierDetection = over.outlierDetection;
  if (over?.retryBudget) out.retryBudget = over.retryBudget;
  const pl = port === undefined ? undefined : portSettings(over, port);
  return pl ? { ...sectionsOf(pl), retryBudget: out.retryBudget } : out;
}

function ports(...policies: Array<TrafficPolicySpec | undefined>): number[] {
  const set = new Set<number>();
  for (const p of policies) for (const s of p?.portLevelSettings ?? []) if (s.port?.number !== undefined) set.add(s.port.number);
  return [...set].sort((a, b) => a - b);
}

/** Effective policy of `sub` over `host` (either may be absent), with per-port entries. */
function effective(host: TrafficPolicySpec | undefined, sub: TrafficPolicySpec | undefined): TrafficPolicySnapshot | undefined {
  const top = compileSections(merge(sectionsOf(host), sub, undefined));
  const portLevel = ports(host, sub).flatMap((port) => {
    const hostForPort = merge({}, host, port);
    const policy = compileSections(merge(hostForPort, sub, port)) ?? {};
    return [{ port, policy }];
  });
  if (!top && portLevel.length === 0) return undefined;
  return portLevel.length ? { ...top, portLevel } : top;
}

/** Host-level policy and subsets of a DestinationRule. */
export function compileTrafficPolicy(dr: DestinationRuleSpec): { policy?: TrafficPolicySnapshot; subsets?: SubsetSnapshot[] } {
  const out: { policy?: TrafficPolicySnapshot; subsets?: SubsetSnapshot[] } = {};
  const policy = effective(dr.trafficPolicy, undefined);
  if (policy) out.policy = policy;
  if (dr.subsets && dr.subsets.length > 0) {
    out.subsets = dr.subsets.map((s) => {
      const snap: SubsetSnapshot = { name: s.name, labels: sorted(s.labels) };
      const p = effective(dr.trafficPolicy, s.trafficPolicy);
      if (p) snap.policy = p;
      return snap;
    });
  }
  return out;
}
