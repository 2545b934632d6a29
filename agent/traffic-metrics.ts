import { Counter, Gauge, type Registry } from 'prom-client';
import type { Cluster, ClusterHost, ClusterState } from './cluster.ts';
import type { TrafficEvents } from './dispatch/compose.ts';
import type { TrafficStateEvents } from './traffic-state.ts';

/**
 * The agent's own traffic-policy metrics (`dockmesh_*`), labelled by Envoy-style cluster name
 * `outbound|<port>|<subset>|<service>.<namespace>`: retries, retry-budget overflows, circuit-breaker
 * overflows and state, outlier ejections, rate-limited and mirrored requests. Gauges are read from
 * the live cluster state at scrape time.
 */
export class TrafficMetrics implements TrafficEvents, TrafficStateEvents {
  readonly #retries: Counter<'cluster' | 'reason'>;
  readonly #retryOverflow: Counter<'cluster'>;
  readonly #overflow: Counter<'cluster'>;
  readonly #ejections: Counter<'cluster' | 'endpoint'>;
  readonly #returns: Counter<'cluster' | 'endpoint'>;
  readonly #rateLimited: Counter<'destination_service'>;
  readonly #mirrored: Counter<'destination_service'>;
  readonly #enabled: boolean;

  constructor(registry: Registry, enabled: boolean, states: () => Iterable<ClusterState>) {
    const registers = [registry];
    this.#enabled = enabled;
    this.#retries = new Counter({ name: 'dockmesh_upstream_retries_total', help: 'Retries started, by cluster and reason (status code or failure kind)', labelNames: ['cluster', 'reason'], registers });
    this.#retryOverflow = new Counter({ name: 'dockmesh_upstream_retry_overflow_total', help: 'Retries not made because the retry budget or maxRetries was exhausted', labelNames: ['cluster'], registers });
    this.#overflow = new Counter({ name: 'dockmesh_upstream_overflow_total', help: 'Requests answered 503 UO by the circuit breaker', labelNames: ['cluster'], registers });
    this.#ejections = new Counter({ name: 'dockmesh_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster', 'endpoint'], registers });
    this.#returns = new Counter({ name: 'dockmesh_outlier_returns_total', help: 'Ejected endpoints returned to load balancing', labelNames: ['cluster', 'endpoint'], registers });
    this.#rateLimited = new Counter({ name: 'dockmesh_rate_limited_total', help: 'Requests answered 429 RL by the local rate limit', labelNames: ['destination_service'], registers });
    this.#mirrored = new Counter({ name: 'dockmesh_mirrored_requests_total', help: 'Mirrored (shadow) requests sent', labelNames: ['destination_service'], registers });
    const gauge = (name: string, help: string, value: (s: ClusterState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['cluster'],
        registers,
        collect() {
          this.reset();
          for (const s of states()) this.set({ cluster: s.key }, value(s));
        },
      });
    gauge('dockmesh_upstream_rq_active', 'Requests in flight per cluster', (s) => s.breaker.active);
    gauge('dockmesh_upstream_rq_pending', 'Requests waiting in the circuit breaker queue per cluster', (s) => s.breaker.pending);
    gauge('dockmesh_upstream_retries_active', 'Retries in flight per cluster', (s) => s.breaker.activeRetries);
    gauge('dockmesh_circuit_breaker_open', '1 while a connection-pool limit of the cluster is reached', (s) => (s.breaker.open ? 1 : 0));
    gauge('dockmesh_outlier_ejected_endpoints', 'Endpoints currently ejected per cluster', (s) => s.detector?.ejectedCount ?? 0);
  }

  retry(cluster: Cluster, reason: string): void {
    if (this.#enabled) this.#retries.inc({ cluster: cluster.key, reason });
  }

  retryOverflow(cluster: Cluster): void {
    if (this.#enabled) this.#retryOverflow.inc({ cluster: cluster.key });
  }

  overflow(cluster: Cluster): void {
    if (this.#enabled) this.#overflow.inc({ cluster: cluster.key });
  }

  ejected(cluster: Cluster, host: ClusterHost): void {
    if (this.#enabled) this.#ejections.inc({ cluster: cluster.key, endpoint: host.identity });
  }

  returned(state: ClusterState, host: ClusterHost): void {
    if (this.#enabled) this.#returns.inc({ cluster: state.key, endpoint: host.identity });
  }

  rateLimited(service: string): void {
    if (this.#enabled) this.#rateLimited.inc({ destination_service: service });
  }

  mirrored(service: string): void {
    if (this.#enabled) this.#mirrored.inc({ destination_service: service });
  }
}
