import type { Pool } from 'undici';
import type { TrafficPolicySnapshot } from '../wire/types.ts';
import type { Balancer, Eligible } from './balancing/balancer.ts';
import { LeastRequest, Passthrough, RandomBalancer } from './balancing/least-request.ts';
import { RingHash } from './balancing/ring-hash.ts';
import { RoundRobinBalancer } from './balancing/round-robin.ts';
import { SlowStart, type Warming } from './balancing/slow-start.ts';
import { CircuitBreaker } from './resilience/circuit-breaker.ts';
import { OutlierDetector, type OutlierHost } from './resilience/outlier-detector.ts';
import type { EndpointRoute } from './route-table.ts';
import type { H1PoolOptions } from './h1/h1-pool.ts';
import { h2PoolSpec, type PoolSpec } from './upstream-pools.ts';

/** One endpoint of one cluster: the balancer's, the breaker's and the outlier detector's view. */
export class ClusterHost implements Warming, OutlierHost {
  /** `address:port` as every agent sees it. */
  readonly identity: string;
  endpoint: EndpointRoute;
  /** The upstream pool this cluster's requests to the endpoint use, HTTP/1.1 and h2c. */
  pool: PoolSpec;
  h2pool: PoolSpec;
  active = 0;
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocalOrigin = 0;
  ejected = false;
  ejectedAt = 0;
  ejections = 0;
  unejectedAt = -1;
  /** When the endpoint joined the cluster (performance.now(), ms): slow start's clock. */
  readonly addedAt = performance.now();

  constructor(identity: string, endpoint: EndpointRoute, pool: PoolSpec) {
    this.identity = identity;
    this.endpoint = endpoint;
    this.pool = pool;
    this.h2pool = h2PoolSpec(pool);
  }

  /** Takes the endpoint and pool of a new snapshot (state stays). */
  update(endpoint: EndpointRoute, pool: PoolSpec): void {
    this.endpoint = endpoint;
    if (pool.key !== this.pool.key) {
      this.pool = pool;
      this.h2pool = h2PoolSpec(pool);
    }
  }
}

/** A request waiting in a cluster's pending queue for a connection slot. */
export interface Waiting {
  start(): void;
  aborted: boolean;
}

/** Cluster state that outlives snapshots: counters, endpoint health, the pending queue. */
export class ClusterState {
  readonly key: string;
  readonly hosts = new Map<string, ClusterHost>();
  breaker: CircuitBreaker;
  detector: OutlierDetector<ClusterHost> | null = null;
  readonly queue: Waiting[] = [];
  timer: NodeJS.Timeout | undefined;

  constructor(key: string, breaker: CircuitBreaker) {
    this.key = key;
    this.breaker = breaker;
  }

  /** A request of this cluster ended: start queued ones while slots are free. */
  release(): void {
    const b = this.breaker;
    b.active--;
    while (this.queue.length > 0 && b.canStart()) {
      const w = this.queue.shift()!;
      b.pending--;
      if (!w.aborted) w.start();
    }
  }
}

/** Per-snapshot identity of a cluster (Envoy's `outbound|port|subset|host`). */
export interface ClusterId {
  service: string;
  namespace: string;
  subset: string;
  port: number;
}

/** Key of a cluster. */
export const clusterKey = (id: ClusterId): string => `outbound|${id.port}|${id.subset}|${id.service}.${id.namespace}`;

/**
 * The balancer of a cluster. No DestinationRule (no policy): ROUND_ROBIN, DESIGN.md's no-meshfile
 * default; a DestinationRule that names none: LEAST_REQUEST, Istio's default (the control server
 * fills it in; a policy without `loadBalancer` means the same here).
 */
function balancerFor(policy: TrafficPolicySnapshot | undefined, hosts: readonly ClusterHost[]): Balancer<ClusterHost> {
  if (!policy) return new RoundRobinBalancer(hosts);
  const lb = policy.loadBalancer;
  if (lb?.consistentHash) return new RingHash(hosts);
  switch (lb?.simple) {
    case 'ROUND_ROBIN': return lb.warmup ? new SlowStart(new RoundRobinBalancer(hosts), hosts, lb.warmup, false) : new RoundRobinBalancer(hosts);
    case 'RANDOM': return new RandomBalancer(hosts);
    case 'PASSTHROUGH': return new Passthrough(hosts);
    default: return lb?.warmup ? new SlowStart(new LeastRequest(hosts), hosts, lb.warmup, true) : new LeastRequest(hosts);
  }
}

/**
 * One destination cluster as a snapshot sees it: the ready endpoints of (service, subset, port), its
 * effective policy, and its balancer; the mutable state lives in {@link ClusterState}.
 */
export class Cluster {
  readonly key: string;
  readonly id: ClusterId;
  readonly policy: TrafficPolicySnapshot | undefined;
  readonly hosts: readonly ClusterHost[];
  readonly state: ClusterState;
  readonly balancer: Balancer<ClusterHost>;
  readonly #byAddress: Map<string, ClusterHost>;
  readonly #notTried: (h: ClusterHost) => boolean;
  readonly #healthy: (h: ClusterHost) => boolean;
  readonly #healthyNotTried: (h: ClusterHost) => boolean;
  #tried: readonly ClusterHost[] = [];

  constructor(id: ClusterId, policy: TrafficPolicySnapshot | undefined, hosts: readonly ClusterHost[], state: ClusterState) {
    this.id = id;
    this.key = clusterKey(id);
    this.policy = policy;
    this.hosts = hosts;
    this.state = state;
    this.balancer = balancerFor(policy, hosts);
    this.#byAddress = new Map(hosts.map((h) => [h.identity, h]));
    this.#notTried = (h) => !this.#tried.includes(h);
    this.#healthy = (h) => !h.ejected;
    this.#healthyNotTried = (h) => !h.ejected && !this.#tried.includes(h);
  }

  /** The endpoint at `address:port`, if it is one of this cluster's (PASSTHROUGH). */
  byAddress(identity: string): ClusterHost | undefined {
    return this.#byAddress.get(identity);
  }

  /**
   * Picks an endpoint: ejected ones are skipped (unless too few are healthy: Istio's
   * minHealthPercent panic), and so are the ones earlier attempts of the request used when another
   * is left (Istio's previous-hosts retry predicate).
   */
  pick(tried: readonly ClusterHost[], hash: number | undefined, original: ClusterHost | undefined): ClusterHost | undefined {
    const d = this.state.detector;
    const skipEjected = d !== null && d.ejectedCount > 0 && !d.panic();
    const retry = tried.length > 0;
    let eligible: Eligible<ClusterHost> = skipEjected ? this.#healthy : null;
    if (retry) {
      this.#tried = tried;
      eligible = skipEjected ? this.#healthyNotTried : this.#notTried;
      const h = this.balancer.pick(eligible, hash, original, true);
      this.#tried = [];
      if (h) return h;
      eligible = skipEjected ? this.#healthy : null;
    }
    return this.balancer.pick(eligible, hash, original, retry);
  }
}

/** Options of the undici pool for a cluster's connectionPool settings; '' for the defaults. */
export function poolSignature(policy: TrafficPolicySnapshot | undefined): { signature: string; options: Partial<Pool.Options> } {
  const tcp = policy?.connectionPool?.tcp;
  const http = policy?.connectionPool?.http;
  const options: Partial<Pool.Options> = {};
  if (tcp?.connectTimeoutMs) options.connectTimeout = tcp.connectTimeoutMs;
  // The agent's HTTP/1.1 pools honour it; undici's (HTTP/2, gRPC) have no such option.
  if (tcp?.maxConnectionDurationMs) (options as H1PoolOptions).maxConnectionDuration = tcp.maxConnectionDurationMs;
  const idle = http?.idleTimeoutMs ?? tcp?.idleTimeoutMs;
  if (idle) {
    options.keepAliveTimeout = idle;
    options.keepAliveMaxTimeout = idle;
  }
  // undici resets a connection after the request that finds its count already at the limit
  // (limit + 1 requests per connection); 1 means no keep-alive, which is undici's pipelining 0.
  const perConnection = http?.maxRequestsPerConnection ?? 0;
  if (perConnection === 1) options.pipelining = 0;
  else if (perConnection > 1) options.maxRequestsPerClient = perConnection - 1;
  const keys = Object.keys(options).sort() as Array<keyof typeof options>;
  return { signature: keys.map((k) => `${k}=${options[k]}`).join(','), options };
}

