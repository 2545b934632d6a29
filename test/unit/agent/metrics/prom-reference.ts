/**
 * The agent's metrics as they were built on prom-client (before the agent's own registry): the
 * oracle the exposition of MeshMetrics and TrafficMetrics is compared with, byte for byte.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LabelBase } from '../../../../agent/istio-labels.ts';
import { DURATION_BUCKETS, SIZE_BUCKETS } from '../../../../agent/mesh-metrics.ts';

const HTTP_LABELS = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app',
  'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace',
  'request_protocol', 'response_code', 'response_flags', 'connection_security_policy',
] as const;
const TCP_LABELS = HTTP_LABELS.filter((l) => l !== 'response_code');

/** What the cluster gauges read. */
export interface ReferenceClusterState {
  key: string;
  breaker: { active: number; pending: number; activeRetries: number; open: boolean };
  detector?: { ejectedCount: number };
}

/** prom-client MeshMetrics + TrafficMetrics, same definitions and call order as the agent had. */
export class PromReference {
  readonly registry = new Registry();
  readonly #r = [this.registry];
  readonly #requests = new Counter({ name: 'istio_requests_total', help: 'Requests handled, by reporter', labelNames: HTTP_LABELS, registers: this.#r });
  readonly #duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'Request duration in milliseconds', labelNames: HTTP_LABELS, buckets: DURATION_BUCKETS, registers: this.#r });
  readonly #requestBytes = new Histogram({ name: 'istio_request_bytes', help: 'HTTP request body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS, registers: this.#r });
  readonly #responseBytes = new Histogram({ name: 'istio_response_bytes', help: 'HTTP response body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS, registers: this.#r });
  readonly #tcpSent = new Counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the downstream during TCP connections', labelNames: TCP_LABELS, registers: this.#r });
  readonly #tcpReceived = new Counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the downstream during TCP connections', labelNames: TCP_LABELS, registers: this.#r });
  readonly #tcpOpened = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened', labelNames: TCP_LABELS, registers: this.#r });
  readonly #tcpClosed = new Counter({ name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed', labelNames: TCP_LABELS, registers: this.#r });
  readonly #configVersion = new Gauge({ name: 'dockmesh_config_version', help: 'Version of the snapshot in force', registers: this.#r });
  readonly retries = new Counter({ name: 'dockmesh_upstream_retries_total', help: 'Retries started, by cluster and reason (status code or failure kind)', labelNames: ['cluster', 'reason'], registers: this.#r });
  readonly retryOverflow = new Counter({ name: 'dockmesh_upstream_retry_overflow_total', help: 'Retries not made because the retry budget or maxRetries was exhausted', labelNames: ['cluster'], registers: this.#r });
  readonly overflow = new Counter({ name: 'dockmesh_upstream_overflow_total', help: 'Requests answered 503 UO by the circuit breaker', labelNames: ['cluster'], registers: this.#r });
  readonly ejections = new Counter({ name: 'dockmesh_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster', 'endpoint'], registers: this.#r });
  readonly returns = new Counter({ name: 'dockmesh_outlier_returns_total', help: 'Ejected endpoints returned to load balancing', labelNames: ['cluster', 'endpoint'], registers: this.#r });
  readonly rateLimited = new Counter({ name: 'dockmesh_rate_limited_total', help: 'Requests answered 429 RL by the local rate limit', labelNames: ['destination_service'], registers: this.#r });
  readonly mirrored = new Counter({ name: 'dockmesh_mirrored_requests_total', help: 'Mirrored (shadow) requests sent', labelNames: ['destination_service'], registers: this.#r });

  constructor(states: () => Iterable<ReferenceClusterState>) {
    this.#configVersion.set(0);
    const registers = this.#r;
    const gauge = (name: string, help: string, value: (s: ReferenceClusterState) => number) =>
      new Gauge({
        name, help, labelNames: ['cluster'], registers,
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

  request(base: LabelBase, code: number, flags: string, durationMs: number, requestBytes: number, responseBytes: number): void {
    const labels = { ...base.labels, response_code: String(code), response_flags: flags };
    this.#requests.inc(labels);
    this.#duration.observe(labels, durationMs);
    this.#requestBytes.observe(labels, requestBytes);
    this.#responseBytes.observe(labels, responseBytes);
  }

  tcpOpened(base: LabelBase): void {
    this.#tcpOpened.inc({ ...base.labels, response_flags: '-' });
  }

  tcpClosed(base: LabelBase, flags: string, sent: number, received: number): void {
    const labels = { ...base.labels, response_flags: flags };
    this.#tcpClosed.inc(labels);
    if (sent > 0) this.#tcpSent.inc(labels, sent);
    if (received > 0) this.#tcpReceived.inc(labels, received);
  }

  configVersion(v: number): void {
    this.#configVersion.set(v);
  }

  watchTracing(counters: () => { exported: number; droppedQueueFull: number; droppedExportFailed: number; exportRetries: number; queued: number }): void {
    new Counter({
      name: 'dockmesh_trace_spans_exported_total', help: 'Spans the OTLP collector accepted', registers: this.#r,
      collect() {
        this.reset();
        this.inc(counters().exported);
      },
    });
    new Counter({
      name: 'dockmesh_trace_spans_dropped_total',
      help: 'Spans not exported: queue_full (the collector slow or down), export_failed (its request failed or timed out)',
      labelNames: ['reason'], registers: this.#r,
      collect() {
        const c = counters();
        this.reset();
        this.labels('queue_full').inc(c.droppedQueueFull);
        this.labels('export_failed').inc(c.droppedExportFailed);
      },
    });
    new Counter({
      name: 'dockmesh_trace_export_retries_total',
      help: 'Export requests sent again after the collector answered 429, 502, 503 or 504, or could not be reached',
      registers: this.#r,
      collect() {
        this.reset();
        this.inc(counters().exportRetries);
      },
    });
    new Gauge({
      name: 'dockmesh_trace_spans_queued', help: 'Finished spans waiting for export', registers: this.#r,
      collect() {
        this.set(counters().queued);
      },
    });
  }

  watchTls(mesh: { expirySeconds(): number; handshakes: { inbound: number; inboundResumed: number; outbound: number; outboundResumed: number } }): void {
    new Gauge({
      name: 'dockmesh_cert_expiry_seconds', help: 'Seconds until the workload certificate expires', registers: this.#r,
      collect() {
        const v = mesh.expirySeconds();
        if (Number.isFinite(v)) this.set(Math.round(v));
      },
    });
    new Counter({
      name: 'dockmesh_tls_handshakes_total', help: 'Completed mTLS handshakes with peer agents (resumed: TLS session resumption)',
      labelNames: ['direction', 'resumed'], registers: this.#r,
      collect() {
        const h = mesh.handshakes;
        this.reset();
        this.labels('inbound', 'false').inc(h.inbound - h.inboundResumed);
        this.labels('inbound', 'true').inc(h.inboundResumed);
        this.labels('outbound', 'false').inc(h.outbound - h.outboundResumed);
        this.labels('outbound', 'true').inc(h.outboundResumed);
      },
    });
  }
}
