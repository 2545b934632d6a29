import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LabelBase } from './istio-labels.ts';
import type { MeshTls } from './mtls/mesh-tls.ts';
import type { TracingCounters } from './tracing/tracing-switch.ts';

const HTTP_LABELS = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app',
  'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace',
  'request_protocol', 'response_code', 'response_flags', 'connection_security_policy',
] as const;
const TCP_LABELS = HTTP_LABELS.filter((l) => l !== 'response_code');

/** Istio's buckets for istio_request_duration_milliseconds. */
export const DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Istio's buckets for request and response sizes. */
export const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

interface HttpChildren {
  requests: { inc(): void };
  duration: { observe(v: number): void };
  requestBytes: { observe(v: number): void };
  responseBytes: { observe(v: number): void };
}

interface TcpChildren {
  opened: { inc(): void };
  closed: { inc(): void };
  sent: { inc(v: number): void };
  received: { inc(v: number): void };
}

const CACHE_LIMIT = 20000;

/**
 * The agent's Prometheus metrics with Istio's names and labels, in its own registry (no default
 * process metrics). Label children are cached per (label set, code, flags) so the hot path only
 * does one Map lookup.
 */
export class MeshMetrics {
  readonly registry = new Registry();
  readonly enabled: boolean;
  readonly #requests = new Counter({ name: 'istio_requests_total', help: 'Requests handled, by reporter', labelNames: HTTP_LABELS, registers: [this.registry] });
  readonly #duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'Request duration in milliseconds', labelNames: HTTP_LABELS, buckets: DURATION_BUCKETS, registers: [this.registry] });
  readonly #requestBytes = new Histogram({ name: 'istio_request_bytes', help: 'HTTP request body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS, registers: [this.registry] });
  readonly #responseBytes = new Histogram({ name: 'istio_response_bytes', help: 'HTTP response body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS, registers: [this.registry] });
  readonly #tcpSent = new Counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the downstream during TCP connections', labelNames: TCP_LABELS, registers: [this.registry] });
  readonly #tcpReceived = new Counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the downstream during TCP connections', labelNames: TCP_LABELS, registers: [this.registry] });
  readonly #tcpOpened = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened', labelNames: TCP_LABELS, registers: [this.registry] });
  readonly #tcpClosed = new Counter({ name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed', labelNames: TCP_LABELS, registers: [this.registry] });
  readonly #configVersion = new Gauge({ name: 'dockmesh_config_version', help: 'Version of the snapshot in force', registers: [this.registry] });
  #tls: MeshTls | undefined;
  #tracing = false;
  #http = new Map<string, HttpChildren>();
  #tcp = new Map<string, TcpChildren>();

  constructor(enabled = true) {
    this.enabled = enabled;
    this.#configVersion.set(0);
  }

  /** Records one finished HTTP request. */
  request(base: LabelBase, code: number, flags: string, durationMs: number, requestBytes: number, responseBytes: number): void {
    if (!this.enabled) return;
    const key = `${base.key}|${code}|${flags}`;
    let c = this.#http.get(key);
    if (!c) {
      if (this.#http.size > CACHE_LIMIT) this.#http.clear();
      const labels = { ...base.labels, response_code: String(code), response_flags: flags };
      c = {
        requests: this.#requests.labels(labels),
        duration: this.#duration.labels(labels),
        requestBytes: this.#requestBytes.labels(labels),
        responseBytes: this.#responseBytes.labels(labels),
      };
      this.#http.set(key, c);
    }
    c.requests.inc();
    c.duration.observe(durationMs);
    c.requestBytes.observe(requestBytes);
    c.responseBytes.observe(responseBytes);
  }

  #tcpChildren(base: LabelBase, flags: string): TcpChildren {
    const key = `${base.key}|${flags}`;
    let c = this.#tcp.get(key);
    if (!c) {
      if (this.#tcp.size > CACHE_LIMIT) this.#tcp.clear();
      const labels = { ...base.labels, response_flags: flags };
      c = {
        opened: this.#tcpOpened.labels(labels),
        closed: this.#tcpClosed.labels(labels),
        sent: this.#tcpSent.labels(labels),
        received: this.#tcpReceived.labels(labels),
      };
      this.#tcp.set(key, c);
    }
    return c;
  }

  /** Records an opened opaque TCP connection. */
  tcpOpened(base: LabelBase): void {
    if (this.enabled) this.#tcpChildren(base, '-').opened.inc();
  }

  /** Records a closed opaque TCP connection and the bytes it carried each way. */
  tcpClosed(base: LabelBase, flags: string, sent: number, received: number): void {
    if (!this.enabled) return;
    const c = this.#tcpChildren(base, flags);
    c.closed.inc();
    if (sent > 0) c.sent.inc(sent);
    if (received > 0) c.received.inc(received);
  }

  /**
   * Exposes the workload certificate: `dockmesh_cert_expiry_seconds` (absent without one) and
   * `dockmesh_tls_handshakes_total{direction,resumed}`, both read from `mesh` at scrape time.
   */
  watchTls(mesh: MeshTls): void {
    if (this.#tls) return;
    this.#tls = mesh;
    new Gauge({
      name: 'dockmesh_cert_expiry_seconds',
      help: 'Seconds until the workload certificate expires',
      registers: [this.registry],
      collect() {
        const v = mesh.expirySeconds();
        if (Number.isFinite(v)) this.set(Math.round(v));
      },
    });
    new Counter({
      name: 'dockmesh_tls_handshakes_total',
      help: 'Completed mTLS handshakes with peer agents (resumed: TLS session resumption)',
      labelNames: ['direction', 'resumed'],
      registers: [this.registry],
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

  /**
   * Exposes span export counts, read at scrape time: `dockmesh_trace_spans_exported_total`,
   * `dockmesh_trace_spans_dropped_total{reason="queue_full"|"export_failed"}` and
   * `dockmesh_trace_spans_queued`. Called once tracing is first turned on.
   */
  watchTracing(counters: () => TracingCounters): void {
    if (this.#tracing) return;
    this.#tracing = true;
    new Counter({
      name: 'dockmesh_trace_spans_exported_total',
      help: 'Spans the OTLP collector accepted',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(counters().exported);
      },
    });
    new Counter({
      name: 'dockmesh_trace_spans_dropped_total',
      help: 'Spans not exported: queue_full (the collector slow or down), export_failed (its request failed or timed out)',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        const c = counters();
        this.reset();
        this.labels('queue_full').inc(c.droppedQueueFull);
        this.labels('export_failed').inc(c.droppedExportFailed);
      },
    });
    new Gauge({
      name: 'dockmesh_trace_spans_queued',
      help: 'Finished spans waiting for export',
      registers: [this.registry],
      collect() {
        this.set(counters().queued);
      },
    });
  }

  /** Sets dockmesh_config_version. */
  configVersion(version: number): void {
    this.#configVersion.set(version);
  }

  /** The exposition text for /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
