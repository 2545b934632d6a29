/**
 * The agent's tracer: loaded only when tracing is configured (see tracing-switch.ts), so an agent
 * without a tracing endpoint never runs (or allocates for) any of this.
 */
import { performance } from 'node:perf_hooks';
import type { WorkloadSnapshot } from '../../wire/types.ts';
import type { Cluster, ClusterHost } from '../cluster.ts';
import { randomIds } from '../random-ids.ts';
import { OtlpHttpSender } from './otlp-http-sender.ts';
import { AttemptSpan, RequestTrace } from './request-trace.ts';
import { sampleDecision } from './sampling.ts';
import { commonAttributes, customTagAttributes, headerTagsOf, resourceAttributes, spanRecord, withoutIstioTags, withTags, type HeaderTag, type TracedRequest } from './span-attributes.ts';
import { SpanBatcher, type BatcherOptions, type ExportCounters } from './span-batcher.ts';
import { SPAN_KIND, type AttributeValue, type SpanRecord } from './span-record.ts';
import type { TracingSettings } from './tracing-settings.ts';
import { incomingTrace, pushTraceHeaders, traceparentOf, type TraceHeaders } from './trace-headers.ts';

/** Constructor input of {@link Tracer}. */
export interface TracerOptions {
  settings: TracingSettings;
  /** Replaces the OTLP/HTTP sender (tests). */
  send?: BatcherOptions['send'];
  /** Replaces Math.random for the sampling decision (tests). */
  random?: () => number;
  batch?: Pick<BatcherOptions, 'maxBatches' | 'batchSize' | 'batchBytes' | 'intervalMs'>;
}

/** An inbound request as the server span sees it. */
export interface InboundRequest extends TracedRequest {
  readonly binding: { readonly port: number };
  readonly upstream: string | null;
}

const NAME_CACHE_LIMIT = 1000;

/**
 * Starts traces, makes the spans of proxied requests (a SERVER span per inbound request, a CLIENT
 * span per outbound attempt) and hands them to a {@link SpanBatcher} that exports OTLP/JSON.
 */
export class Tracer {
  readonly settings: TracingSettings;
  readonly #ids = randomIds;
  readonly #batcher: SpanBatcher;
  readonly #sender: OtlpHttpSender | undefined;
  readonly #random: () => number;
  /** Share of new traces sampled and whether spans are reported, per direction (Istio Telemetry). */
  readonly #outPercent: number;
  readonly #inPercent: number;
  readonly #outReport: boolean;
  readonly #inReport: boolean;
  /** Telemetry `customTags` of client (outbound) and server (inbound) spans. */
  readonly #clientTags: AttributeValue[];
  readonly #serverTags: AttributeValue[];
  /** Telemetry `customTags` read from request headers, per span. */
  readonly clientHeaderTags: readonly HeaderTag[] | undefined;
  readonly #serverHeaderTags: readonly HeaderTag[] | undefined;
  #self: WorkloadSnapshot | undefined;
  #resource: AttributeValue[] = resourceAttributes(undefined);
  #serverNames = new Map<number, string>();
  #clientNames = new Map<string, string>();
  /** {@link SpanSink.common}: the attributes of CLIENT spans. */
  common: readonly AttributeValue[] = [];
  /** The attributes of SERVER spans (they differ when Telemetry gives the directions different tags). */
  serverCommon: readonly AttributeValue[] = [];

  constructor(o: TracerOptions) {
    this.settings = o.settings;
    this.#random = o.random ?? Math.random;
    const s = o.settings;
    this.#outPercent = s.outbound?.samplingPercent ?? s.samplingPercent;
    this.#inPercent = s.inbound?.samplingPercent ?? s.samplingPercent;
    this.#outReport = s.outbound?.report ?? true;
    this.#inReport = s.inbound?.report ?? true;
    this.#clientTags = customTagAttributes(s.outbound?.tags, process.env);
    this.#serverTags = customTagAttributes(s.inbound?.tags, process.env);
    this.clientHeaderTags = headerTagsOf(s.outbound?.tags);
    this.#serverHeaderTags = headerTagsOf(s.inbound?.tags);
    this.#setCommon(commonAttributes(undefined, '127.0.0.1'));
    let send = o.send;
    if (!send) {
      const sender = new OtlpHttpSender(o.settings.endpoint, o.settings.protocol);
      this.#sender = sender;
      send = (chunks) => sender.send(chunks);
    }
    this.#batcher = new SpanBatcher({ send, resource: () => this.#resource, protocol: o.settings.protocol, ...o.batch });
  }

  /** Who the agent is (from each snapshot): span names, `istio.*` attributes, the resource. */
  setIdentity(self: WorkloadSnapshot, address: string): void {
    this.#self = self;
    this.#resource = resourceAttributes(self);
    this.#setCommon(commonAttributes(self, address));
    this.#serverNames = new Map();
  }

  /**
   * The shared attributes of both span kinds: `base` (without its `istio.*` ones for a direction with
   * Telemetry `enableIstioTags: false`) and each direction's custom tags.
   */
  #setCommon(base: readonly AttributeValue[]): void {
    const s = this.settings;
    this.common = withTags(s.outbound?.istioTags === false ? withoutIstioTags(base) : base, this.#clientTags);
    this.serverCommon = withTags(s.inbound?.istioTags === false ? withoutIstioTags(base) : base, this.#serverTags);
  }

  /** Span counts (exported, dropped). */
  get counters(): ExportCounters {
    return this.#batcher.counters;
  }

  /** Spans waiting for export. */
  get queued(): number {
    return this.#batcher.queued;
  }

  /**
   * The trace of a new request: the caller's (honouring its sampling decision), or a new one sampled
   * at the direction's percentage; recorded unless the direction reports no spans.
   */
  begin(h: TraceHeaders | undefined, inbound: boolean): RequestTrace {
    const incoming = incomingTrace(h);
    const sampled = sampleDecision(incoming?.sampled, inbound ? this.#inPercent : this.#outPercent, this.#random());
    return new RequestTrace(incoming?.traceId ?? this.#ids.traceId(), sampled, incoming, h?.raw ?? NO_HEADERS, inbound ? this.#inReport : this.#outReport);
  }

  /** Inbound, recorded: opens the server span's id and appends the headers the app will see. */
  pushServer(t: RequestTrace, out: string[]): void {
    t.serverSpanId = this.#ids.spanId();
    pushTraceHeaders(out, t.traceId, t.serverSpanId, true, t.incoming);
  }

  /** Nothing recorded (unsampled, not reported, or a mirror): the context passes on as it came, or as started. */
  pushPassthrough(t: RequestTrace, out: string[]): void {
    if (!t.incoming?.traceId) out.push('traceparent', traceparentOf(t.traceId, this.#ids.spanId(), t.sampled));
    for (const v of t.raw) out.push(v);
  }

  /**
   * Outbound, sampled: the CLIENT span of one attempt to `host` of `cluster`. The attempt's headers
   * are `base` plus trace headers naming that span as the parent.
   */
  attempt(t: RequestTrace, r: TracedRequest, cluster: Cluster, host: ClusterHost, n: number, base: readonly string[]): { span: AttemptSpan; headers: string[] } {
    const spanId = this.#ids.spanId();
    const headers = base.slice();
    pushTraceHeaders(headers, t.traceId, spanId, true, t.incoming);
    const e = host.endpoint;
    const span = new AttemptSpan(this, t, r, spanId, this.#clientName(cluster), cluster.key, e.target, e.address, n);
    return { span, headers };
  }

  /** Inbound, sampled: records the SERVER span when the request ends. */
  serverSpan(t: RequestTrace, r: InboundRequest, status: number, flags: string): void {
    const port = r.binding.port;
    const spanId = t.serverSpanId ?? this.#ids.spanId();
    this.record(spanRecord(t, spanId, this.#serverName(port), SPAN_KIND.server, performance.timeOrigin + r.start, this.serverCommon, r, status, flags, `inbound|${port}||`, r.upstream, r.peer, 0, false, this.#serverHeaderTags));
  }

  /** Outbound, sampled, answered by the agent without any attempt (404 NR, 503 UH, 429 RL, ...). */
  localSpan(t: RequestTrace, r: TracedRequest, status: number, flags: string): void {
    this.record(spanRecord(t, this.#ids.spanId(), `${r.head.host ?? 'unknown'}/*`, SPAN_KIND.client, performance.timeOrigin + r.start, this.common, r, status, flags, '-', null, r.peer, 0, false, this.clientHeaderTags));
  }

  /** Queues a finished span for export. */
  record(span: SpanRecord): void {
    this.#batcher.add(span);
  }

  /** Envoy's operation name: `<service FQDN>:<port>/*`. */
  #serverName(port: number): string {
    let n = this.#serverNames.get(port);
    if (n === undefined) {
      const s = this.#self;
      n = `${s ? `${s.service}.${s.namespace}.svc.cluster.local` : 'unknown'}:${port}/*`;
      this.#serverNames.set(port, n);
    }
    return n;
  }

  #clientName(c: Cluster): string {
    let n = this.#clientNames.get(c.key);
    if (n === undefined) {
      if (this.#clientNames.size >= NAME_CACHE_LIMIT) this.#clientNames.clear();
      n = `${c.id.service}.${c.id.namespace}.svc.cluster.local:${c.id.port}/*`;
      this.#clientNames.set(c.key, n);
    }
    return n;
  }

  /** Exports what is queued, then closes the collector connection. Idempotent. */
  async close(): Promise<void> {
    await this.#batcher.close();
    this.#sender?.close();
  }

  /** Stops at once (queued spans dropped). */
  destroy(): void {
    this.#batcher.destroy();
    this.#sender?.close();
  }
}

const NO_HEADERS: readonly string[] = [];
