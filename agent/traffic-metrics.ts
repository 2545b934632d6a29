import type { Cluster, ClusterHost, ClusterState } from './cluster.ts';
import type { TrafficEvents } from './dispatch/compose.ts';
import type { Counter } from './metrics/counter.ts';
import type { MetricsRegistry } from './metrics/metrics-registry.ts';
import type { TrafficStateEvents } from './traffic-state.ts';

/**
 * The agent's own traffic-policy metrics (`dockmesh_*`), labelled by Envoy-style cluster name
 * `outbound|<port>|<subset>|<service>.<namespace>`: retries, retry-budget overflows, circuit-breaker
 * overflows and state, outlier ejections, rate-limited and mirrored requests. Gauges are read from
 * the live cluster state at scrape time.
 */
export class TrafficMetrics implements TrafficEvents, TrafficStateEvents {
  readonly #retries: Counter;
  readonly #retryOverflow: Counter;
  readonly #overflow: Counter;
  readonly #ejections: Counter;
  readonly #returns: Counter;
  readonly #rateLimited: Counter;
  readonly #mirrored: Counter;
  readonly #enabled: boolean;

  constructor(registry: MetricsRegistry, enabled: boolean, states: () => Iterable<ClusterState>) {
    this.#enabled = enabled;
    const counter = (name: string, help: string, labelNames: string[]) => registry.counter({ name, help, labelNames });
    this.#retries = counter('dockmesh_upstream_retries_total', 'Retries started, by cluster and reason (status code or failure kind)', ['cluster', 'reason']);
    this.#retryOverflow = counter('dockmesh_upstream_retry_overflow_total', 'Retries not made because the retry budget or maxRetries was exhausted', ['cluster']);
    this.#overflow = counter('dockmesh_upstream_overflow_total', 'Requests answered 503 UO by the circuit breaker', ['cluster']);
    this.#ejections = counter('dockmesh_outlier_ejections_total', 'Endpoints ejected by outlier detection', ['cluster', 'endpoint']);
    this.#returns = counter('dockmesh_outlier_returns_total', 'Ejected endpoints returned to load balancing', ['cluster', 'endpoint']);
    this.#rateLimited = counter('dockmesh_rate_limited_total', 'Requests answered 429 RL by the local rate limit', ['destination_service']);
    this.#mirrored = counter('dockmesh_mirrored_requests_total', 'Mirrored (shadow) requests sent', ['destination_service']);
    const gauge = (name: string, help: string, value: (s: ClusterState) => number) =>
      registry.gauge({
        name,
        help,
        labelNames: ['cluster'],
        collect(g) {
          g.reset();
          for (const s of states()) g.labels(s.key).set(value(s));
        },
      });
    gauge('dockmesh_upstream_rq_active', 'Requests in flight per cluster', (s) => s.breaker.active);
    gauge('dockmesh_upstream_rq_pending', 'Requests waiting in the circuit breaker queue per cluster', (s) => s.breaker.pending);
    gauge('dockmesh_upstream_retries_active', 'Retries in flight per cluster', (s) => s.breaker.activeRetries);
    gauge('dockmesh_circuit_breaker_open', '1 while a connection-pool limit of the cluster is reached', (s) => (s.breaker.open ? 1 : 0));
    gauge('dockmesh_outlier_ejected_endpoints', 'Endpoints currently ejected per cluster', (s) => s.detector?.ejectedCount ?? 0);
  }

  retry(cluster: Cluster, reason: string): void {
    if (this.#enabled) this.#retries.labels(cluster.key, reason).inc();
  }

  retryOverflow(cluster: Cluster): void {
    if (this.#enabled) this.#retryOverflow.labels(cluster.key).inc();
  }

  overflow(cluster: Cluster): void {
    if (this.#enabled) this.#overflow.labels(cluster.key).inc();
  }

  ejected(cluster: Cluster, host: ClusterHost): void {
    if (this.#enabled) this.#ejections.labels(cluster.key, host.identity).inc();
  }

  returned(state: ClusterState, host: ClusterHost): void {
    if (this.#enabled) this.#returns.labels(state.key, host.identity).inc();
  }

  rateLimited(service: string): void {
    if (this.#enabled) this.#rateLimited.labels(service).inc();
  }

  mirrored(service: string): void {
    if (this.#enabled) this.#mirrored.labels(service).inc();
  }
}
