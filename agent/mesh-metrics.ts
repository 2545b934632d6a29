import type { JwtStats } from './authn/jwks-cache.ts';
import { ISTIO_LABEL_NAMES, IstioSeries, type MetricRequestSource, type TcpSeries } from './istio-series.ts';
import { DEFAULT_TCP_REPORTING_INTERVAL_MS, type MeshSettingsSnapshot } from '../wire/types.ts';
import type { LabelBase } from './istio-labels.ts';
import type { Counter } from './metrics/counter.ts';
import type { Gauge } from './metrics/gauge.ts';
import { MetricsRegistry } from './metrics/metrics-registry.ts';
import type { MeshTls } from './mtls/mesh-tls.ts';
import type { TracingCounters } from './tracing/tracing-switch.ts';

const HTTP_LABELS = [...ISTIO_LABEL_NAMES, 'response_code', 'response_flags'];
const TCP_LABELS = [...ISTIO_LABEL_NAMES, 'response_flags'];

/** Istio's buckets for istio_request_duration_milliseconds. */
export const DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Istio's buckets for request and response sizes. */
export const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

/** The shortest TCP reporting interval the agent runs (a smaller `reportingInterval` is raised to it). */
export const MIN_TCP_REPORTING_INTERVAL_MS = 100;

/** An open opaque TCP connection: its socket towards the downstream, and the bytes reported so far. */
export class TcpTrack {
  sent = 0;
  received = 0;
  constructor(
    readonly base: LabelBase,
    readonly socket: { readonly bytesWritten: number; readonly bytesRead: number },
  ) {}
}

/**
 * The agent's Prometheus metrics with Istio's names and labels, in its own registry (no process
 * metrics). The series of a label set are found by the identity of its {@link LabelBase}
 * ({@link IstioSeries}), so recording a request renders and hashes nothing.
 */
export class MeshMetrics {
  readonly registry = new MetricsRegistry();
  readonly enabled: boolean;
  readonly #series: IstioSeries;
  readonly #tcpSent: Counter;
  readonly #tcpReceived: Counter;
  readonly #tcpOpened: Counter;
  readonly #tcpClosed: Counter;
  readonly #configVersion: Gauge;
  #tls: MeshTls | undefined;
  #tracing = false;
  #jwt = false;
  /** Open TCP connections, whose bytes are reported every {@link #tcpIntervalMs} (Istio's reportingInterval). */
  readonly #open = new Set<TcpTrack>();
  #tcpIntervalMs = DEFAULT_TCP_REPORTING_INTERVAL_MS;
  #tcpTimer: NodeJS.Timeout | undefined;

  constructor(enabled = true) {
    this.enabled = enabled;
    const r = this.registry;
    // Registered in this order: the exposition lists the metrics as they were made.
    const http = {
      requests: r.counter({ name: 'istio_requests_total', help: 'Requests handled, by reporter', labelNames: HTTP_LABELS }),
      duration: r.histogram({ name: 'istio_request_duration_milliseconds', help: 'Request duration in milliseconds', labelNames: HTTP_LABELS, buckets: DURATION_BUCKETS }),
      requestBytes: r.histogram({ name: 'istio_request_bytes', help: 'HTTP request body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS }),
      responseBytes: r.histogram({ name: 'istio_response_bytes', help: 'HTTP response body sizes', labelNames: HTTP_LABELS, buckets: SIZE_BUCKETS }),
    };
    this.#tcpSent = r.counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the downstream during TCP connections', labelNames: TCP_LABELS });
    this.#tcpReceived = r.counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the downstream during TCP connections', labelNames: TCP_LABELS });
    this.#tcpOpened = r.counter({ name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened', labelNames: TCP_LABELS });
    this.#tcpClosed = r.counter({ name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed', labelNames: TCP_LABELS });
    this.#series = new IstioSeries(http, { opened: this.#tcpOpened, closed: this.#tcpClosed, sent: this.#tcpSent, received: this.#tcpReceived });
    this.#configVersion = r.gauge({ name: 'dockmesh_config_version', help: 'Version of the snapshot in force' });
  }

  /** Puts a snapshot's Telemetry metric overrides in force (wire/types.ts, `mesh.metrics`). */
  setOverrides(o: MeshSettingsSnapshot['metrics']): void {
    this.#series.setOverrides(o);
    const ms = Math.max(MIN_TCP_REPORTING_INTERVAL_MS, o?.tcpReportingIntervalMs ?? DEFAULT_TCP_REPORTING_INTERVAL_MS);
    if (ms !== this.#tcpIntervalMs) {
      this.#tcpIntervalMs = ms;
      if (this.#tcpTimer) {
        clearInterval(this.#tcpTimer);
        this.#tcpTimer = undefined;
        this.#startTcpTimer();
      }
    }
  }

  /**
   * Starts reporting an opened connection's bytes as they flow: every reporting interval its
   * bytes since the last report are added to istio_tcp_sent_bytes_total and
   * istio_tcp_received_bytes_total (flags `-`), as Istio does for long-lived connections;
   * {@link tcpClosed} adds the rest.
   */
  tcpTrack(base: LabelBase, socket: TcpTrack['socket']): TcpTrack | undefined {
    if (!this.enabled) return undefined;
    const t = new TcpTrack(base, socket);
    this.#open.add(t);
    this.#startTcpTimer();
    return t;
  }

  #startTcpTimer(): void {
    if (this.#tcpTimer || this.#open.size === 0) return;
    this.#tcpTimer = setInterval(() => this.reportOpenTcp(), this.#tcpIntervalMs);
    this.#tcpTimer.unref();
  }

  /** Adds the bytes open connections carried since their last report (the reporting timer's tick). */
  reportOpenTcp(): void {
    for (const t of this.#open) this.#reportTcp(t, '-', t.socket.bytesWritten, t.socket.bytesRead);
  }

  #reportTcp(t: TcpTrack, flags: string, sent: number, received: number): void {
    const s = this.#series.tcp(t.base, flags);
    if (sent > t.sent) (s.sent ??= this.#tcpSent.withText(s.text)).inc(sent - t.sent);
    if (received > t.received) (s.received ??= this.#tcpReceived.withText(s.text)).inc(received - t.received);
    t.sent = Math.max(t.sent, sent);
    t.received = Math.max(t.received, received);
  }

  /** Records one finished HTTP request (`req`: what tag overrides may read of it). */
  request(base: LabelBase, code: number, flags: string, durationMs: number, requestBytes: number, responseBytes: number, req?: MetricRequestSource): void {
    if (!this.enabled) return;
    const s = this.#series.http(base, code, flags, req);
    s.requests.inc();
    s.duration.observe(durationMs);
    s.requestBytes.observe(requestBytes);
    s.responseBytes.observe(responseBytes);
  }

  /** Records an opened opaque TCP connection. */
  tcpOpened(base: LabelBase): void {
    if (!this.enabled) return;
    const s = this.#series.tcp(base, '-');
    (s.opened ??= this.#tcpOpened.withText(s.text)).inc();
  }

  /**
   * Records a closed opaque TCP connection and the bytes it carried each way (`track`: what was
   * already reported while it was open is not counted twice).
   */
  tcpClosed(base: LabelBase, flags: string, sent: number, received: number, track?: TcpTrack): void {
    if (!this.enabled) return;
    const s: TcpSeries = this.#series.tcp(base, flags);
    (s.closed ??= this.#tcpClosed.withText(s.text)).inc();
    if (track) {
      this.#open.delete(track);
      if (this.#open.size === 0 && this.#tcpTimer) {
        clearInterval(this.#tcpTimer);
        this.#tcpTimer = undefined;
      }
      this.#reportTcp(track, flags, sent, received);
      return;
    }
    if (sent > 0) (s.sent ??= this.#tcpSent.withText(s.text)).inc(sent);
    if (received > 0) (s.received ??= this.#tcpReceived.withText(s.text)).inc(received);
  }

  /**
   * Exposes the workload certificate: `dockmesh_cert_expiry_seconds` (0 until there is one) and
   * `dockmesh_tls_handshakes_total{direction,resumed}`, both read from `mesh` at scrape time.
   */
  watchTls(mesh: MeshTls): void {
    if (this.#tls) return;
    this.#tls = mesh;
    this.registry.gauge({
      name: 'dockmesh_cert_expiry_seconds',
      help: 'Seconds until the workload certificate expires',
      collect(g) {
        const v = mesh.expirySeconds();
        if (Number.isFinite(v)) g.set(Math.round(v));
      },
    });
    this.registry.counter({
      name: 'dockmesh_tls_handshakes_total',
      help: 'Completed mTLS handshakes with peer agents (resumed: TLS session resumption)',
      labelNames: ['direction', 'resumed'],
      collect(c) {
        const h = mesh.handshakes;
        c.reset();
        c.labels('inbound', 'false').inc(h.inbound - h.inboundResumed);
        c.labels('inbound', 'true').inc(h.inboundResumed);
        c.labels('outbound', 'false').inc(h.outbound - h.outboundResumed);
        c.labels('outbound', 'true').inc(h.outboundResumed);
      },
    });
  }

  /**
   * Exposes span export counts, read at scrape time: `dockmesh_trace_spans_exported_total`,
   * `dockmesh_trace_spans_dropped_total{reason="queue_full"|"export_failed"}`,
   * `dockmesh_trace_export_retries_total` and `dockmesh_trace_spans_queued`. Called once tracing is
   * first turned on.
   */
  watchTracing(counters: () => TracingCounters): void {
    if (this.#tracing) return;
    this.#tracing = true;
    this.registry.counter({
      name: 'dockmesh_trace_spans_exported_total',
      help: 'Spans the OTLP collector accepted',
      collect(c) {
        c.reset();
        c.inc(counters().exported);
      },
    });
    this.registry.counter({
      name: 'dockmesh_trace_spans_dropped_total',
      help: 'Spans not exported: queue_full (the collector slow or down), export_failed (its request failed or timed out)',
      labelNames: ['reason'],
      collect(c) {
        const n = counters();
        c.reset();
        c.labels('queue_full').inc(n.droppedQueueFull);
        c.labels('export_failed').inc(n.droppedExportFailed);
      },
    });
    this.registry.counter({
      name: 'dockmesh_trace_export_retries_total',
      help: 'Export requests sent again after the collector answered 429, 502, 503 or 504, or could not be reached',
      collect(c) {
        c.reset();
        c.inc(counters().exportRetries);
      },
    });
    this.registry.gauge({
      name: 'dockmesh_trace_spans_queued',
      help: 'Finished spans waiting for export',
      collect(g) {
        g.set(counters().queued);
      },
    });
  }

  /**
   * Exposes request authentication (RequestAuthentication), read at scrape time like Envoy's
   * jwt_authn stats: `dockmesh_jwt_authn_requests_total{result="allowed"|"denied"}`,
   * `dockmesh_jwt_cache_lookups_total{result="hit"|"miss"}` and
   * `dockmesh_jwks_fetches_total{result="success"|"failed"}`. Called once the first table with JWT
   * rules is built.
   */
  watchJwt(stats: JwtStats): void {
    if (this.#jwt) return;
    this.#jwt = true;
    const counters: Array<[name: string, help: string, results: Array<[label: string, key: keyof JwtStats]>]> = [
      ['dockmesh_jwt_authn_requests_total', 'Inbound requests RequestAuthentication let through (a verified token, or none where none is needed) or refused with 401', [['allowed', 'allowed'], ['denied', 'denied']]],
      ['dockmesh_jwt_cache_lookups_total', 'Tokens found among the verified ones kept (hit) or verified (miss)', [['hit', 'cacheHits'], ['miss', 'cacheMisses']]],
      ['dockmesh_jwks_fetches_total', 'Fetches of JSON Web Key Sets (jwksUri or OpenID discovery)', [['success', 'fetchSucceeded'], ['failed', 'fetchFailed']]],
    ];
    for (const [name, help, results] of counters) {
      this.registry.counter({
        name,
        help,
        labelNames: ['result'],
        collect(c) {
          c.reset();
          for (const [label, key] of results) c.labels(label).inc(stats[key]);
        },
      });
    }
  }

  /** Sets dockmesh_config_version. */
  configVersion(version: number): void {
    this.#configVersion.set(version);
  }

  /** The exposition text for /metrics (Prometheus text format 0.0.4). */
  text(): string {
    return this.registry.text();
  }
}
