/**
 * `spec` of an Istio DestinationRule as the user wrote it (validated, frozen). Fields marked "not
 * acted on" are parsed and reported with MESH_WARN_UNSUPPORTED_FIELD.
 */
import type { PortSelectorSpec } from './virtual-service-spec.ts';

export type SimpleLbSpec = 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';

/** The `simple` balancers slow start (`warmup`) applies to: LEAST_CONN is LEAST_REQUEST, UNSPECIFIED the default. */
export const WARMUP_BALANCERS: ReadonlySet<string> = new Set(['ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'UNSPECIFIED']);

export interface LoadBalancerSettingsSpec {
  simple?: SimpleLbSpec;
  consistentHash?: {
    httpHeaderName?: string;
    httpCookie?: { name: string; path?: string; ttl?: string; attributes?: ReadonlyArray<{ name: string; value?: string }> };
    useSourceIp?: boolean;
    httpQueryParameterName?: string;
    ringHash?: { minimumRingSize?: number };
    maglev?: { tableSize?: number };
    minimumRingSize?: number;
  };
  /** Not acted on. */
  localityLbSetting?: Readonly<Record<string, unknown>>;
  /** Not acted on. */
  zoneAwareLbSetting?: Readonly<Record<string, unknown>>;
  /** Deprecated by Istio for `warmup`: a slow-start window alone. */
  warmupDurationSecs?: string;
  /** Slow start of endpoints new to the cluster (ROUND_ROBIN and LEAST_REQUEST). */
  warmup?: { duration: string; minimumPercent?: number; aggression?: number };
}

export interface ConnectionPoolSettingsSpec {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: string;
    idleTimeout?: string;
    /** Not acted on. */
    tcpKeepalive?: { probes?: number; time?: string; interval?: string };
    /** Not acted on. */
    maxConnectionDuration?: string;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    /** Not acted on. */
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    /** Not acted on. */
    useClientProtocol?: boolean;
    /** Not acted on. */
    maxConcurrentStreams?: number;
    /** Not acted on. */
    http2KeepAlive?: { interval?: string; timeout?: string };
  };
}

export interface OutlierDetectionSpec {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
  /** Not acted on. */
  splitExternalLocalOriginErrors?: boolean;
  /** Not acted on. */
  consecutiveLocalOriginFailures?: number;
  /** The response codes that count as errors instead of the 5xx (Envoy's outlier failure matcher). */
  outlierDetectionHttpErrorCodes?: readonly number[];
  /** Deprecated by Istio; not acted on. */
  consecutiveErrors?: number;
}

export interface PortTrafficPolicySpec {
  port?: PortSelectorSpec;
  loadBalancer?: LoadBalancerSettingsSpec;
  connectionPool?: ConnectionPoolSettingsSpec;
  outlierDetection?: OutlierDetectionSpec;
  /** Not acted on. */
  tls?: Readonly<Record<string, unknown>>;
}

export interface TrafficPolicySpec {
  loadBalancer?: LoadBalancerSettingsSpec;
  connectionPool?: ConnectionPoolSettingsSpec;
  outlierDetection?: OutlierDetectionSpec;
  portLevelSettings?: readonly PortTrafficPolicySpec[];
  /** Not acted on. */
  tls?: Readonly<Record<string, unknown>>;
  /** Not acted on. */
  tunnel?: { protocol?: string; targetHost: string; targetPort: number };
  /** Not acted on. */
  proxyProtocol?: { version?: 'V1' | 'V2' };
  /** `percent` and `minRetryConcurrency` acted on; `budgetInterval` not. */
  retryBudget?: { percent?: number; minRetryConcurrency?: number; budgetInterval?: string };
}

export interface SubsetSpec {
  name: string;
  labels?: Readonly<Record<string, string>>;
  trafficPolicy?: TrafficPolicySpec;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicySpec;
  subsets?: readonly SubsetSpec[];
  /** Not acted on. */
  exportTo?: readonly string[];
  /** The clients (in its namespace) this rule applies to, in place of the rule without a selector. */
  workloadSelector?: { matchLabels?: Readonly<Record<string, string>> };
}
