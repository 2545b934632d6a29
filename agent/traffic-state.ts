import type { RateLimitSnapshot, TrafficPolicySnapshot } from '../wire/types.ts';
import { Cluster, ClusterHost, ClusterState, clusterKey, type ClusterId } from './cluster.ts';
import { CircuitBreaker } from './resilience/circuit-breaker.ts';
import { OutlierDetector } from './resilience/outlier-detector.ts';
import { TokenBucket } from './resilience/token-bucket.ts';
import type { EndpointRoute } from './route-table.ts';
import type { PoolSpec } from './upstream-pools.ts';

/** What the state reports on its own (the outlier sweep runs on a timer). */
export interface TrafficStateEvents {
  returned(cluster: ClusterState, host: ClusterHost): void;
}

/**
 * The traffic state that outlives snapshots, by cluster and by service: requests in flight, retry
 * counts, pending queues, endpoint health (outlier detection, with its sweep timer), and rate-limit
 * buckets. A new snapshot's table takes the state of the clusters it keeps (same key); counters keep
 * counting, an ejected endpoint stays ejected; `retain` drops the rest once the table is in force.
 */
export class TrafficState {
  readonly #clusters = new Map<string, ClusterState>();
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #events: TrafficStateEvents | undefined;
  #closed = false;

  constructor(events?: TrafficStateEvents) {
    this.#events = events;
  }

  /** The cluster `id` of a new table, with its endpoints and effective policy. */
  cluster(id: ClusterId, policy: TrafficPolicySnapshot | undefined, endpoints: ReadonlyArray<{ route: EndpointRoute; pool: PoolSpec }>): Cluster {
    const key = clusterKey(id);
    const breaker = new CircuitBreaker(policy?.connectionPool, policy?.retryBudget);
    let state = this.#clusters.get(key);
    if (!state) this.#clusters.set(key, (state = new ClusterState(key, breaker)));
    else if (!state.breaker.sameAs(breaker)) {
      breaker.active = state.breaker.active;
      breaker.pending = state.breaker.pending;
      breaker.activeRetries = state.breaker.activeRetries;
      state.breaker = breaker;
    }
    const previous = new Map(state.hosts);
    state.hosts.clear();
    const hosts: ClusterHost[] = [];
    for (const { route, pool } of endpoints) {
      const identity = `${route.address}:${route.port}`;
      let h = previous.get(identity);
      if (h) h.update(route, pool);
      else h = new ClusterHost(identity, route, pool);
      state.hosts.set(identity, h);
      hosts.push(h);
    }
    this.#outlier(state, policy, hosts);
    return new Cluster(id, policy, hosts, state);
  }

  #outlier(state: ClusterState, policy: TrafficPolicySnapshot | undefined, hosts: ClusterHost[]): void {
    const od = policy?.outlierDetection;
    const same = od && state.detector && JSON.stringify(state.detector.config) === JSON.stringify(od);
    if (!od) {
      state.detector = null;
      for (const h of hosts) h.ejected = false;
    } else if (!same) {
      state.detector = new OutlierDetector(od);
    }
    state.detector?.setHosts(hosts);
    if (!same) {
      clearInterval(state.timer);
      state.timer = undefined;
      if (od && !this.#closed) {
        state.timer = setInterval(() => {
          for (const h of state.detector?.sweep(Date.now()) ?? []) this.#events?.returned(state, h);
        }, Math.max(1, od.intervalMs));
        state.timer.unref();
      }
    }
  }

  /** The rate-limit bucket of a service (kept, with its tokens, while its configuration stays). */
  bucket(serviceKey: string, config: RateLimitSnapshot): TokenBucket {
    let b = this.#buckets.get(serviceKey);
    if (!b || !b.sameAs(config)) this.#buckets.set(serviceKey, (b = new TokenBucket(config, Date.now())));
    return b;
  }

  /** Forgets the clusters and buckets a table in force no longer has. */
  retain(clusters: ReadonlySet<string>, buckets: ReadonlySet<string>): void {
    for (const [key, state] of this.#clusters) {
      if (clusters.has(key)) continue;
      clearInterval(state.timer);
      this.#clusters.delete(key);
    }
    for (const key of this.#buckets.keys()) if (!buckets.has(key)) this.#buckets.delete(key);
  }

  /** Cluster states by key (admin, tests). */
  states(): ReadonlyMap<string, ClusterState> {
    return this.#clusters;
  }

  /** Stops every timer. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const s of this.#clusters.values()) clearInterval(s.timer);
  }
}
