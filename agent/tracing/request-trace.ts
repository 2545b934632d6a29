import type { AttemptObserver } from '../dispatch/dispatch.ts';
import { LocalReply } from '../dispatch/local-reply.ts';
import { epochMs, spanRecord, type HeaderTag, type SpanParent, type TracedRequest } from './span-attributes.ts';
import { SPAN_KIND, type AttributeValue, type SpanRecord } from './span-record.ts';
import type { IncomingTrace } from './trace-headers.ts';

/** Where a request's spans go (the tracer). */
export interface SpanSink {
  record(span: SpanRecord): void;
  /** The attributes every CLIENT span shares. */
  readonly common: readonly AttributeValue[];
  /** Telemetry `customTags` of CLIENT spans read from the request's headers. */
  readonly clientHeaderTags: readonly HeaderTag[] | undefined;
}

/**
 * The trace of one proxied request: its trace id (the access log's `trace_id`), the sampling
 * decision, and the context it arrived with. Made by `Tracer.begin`.
 */
export class RequestTrace implements SpanParent {
  readonly traceId: string;
  /** The sampling decision, passed on in the trace context. */
  readonly sampled: boolean;
  /** Sampled and reported here: the agent makes spans (false under Istio Telemetry's `disableSpanReporting`). */
  readonly record: boolean;
  /** The caller's context; undefined when the agent started the trace. */
  readonly incoming: IncomingTrace | undefined;
  /** Trace headers as received, passed on unchanged when nothing is recorded. */
  readonly raw: readonly string[];
  /** Inbound, sampled: the server span's id (the app's parent). */
  serverSpanId: string | undefined;

  constructor(traceId: string, sampled: boolean, incoming: IncomingTrace | undefined, raw: readonly string[], report = true) {
    this.traceId = traceId;
    this.sampled = sampled;
    this.record = sampled && report;
    this.incoming = incoming;
    this.raw = raw;
  }

  /** The caller's span: parent of the agent's spans. */
  get parentSpanId(): string | undefined {
    return this.incoming?.spanId;
  }

  /** The caller's `tracestate`, kept on the spans. */
  get traceState(): string | undefined {
    return this.incoming?.tracestate;
  }
}

/** Envoy's flag for an attempt that ended with `err` after answering `status` (0: no answer). */
export function attemptFlags(status: number, err: Error | undefined): string {
  if (!err) return '-';
  if (err instanceof LocalReply) return err.flag;
  return status > 0 ? 'UC' : 'UF';
}

/** The CLIENT span of one upstream attempt; ended by the balancer layer when the attempt ends. */
export class AttemptSpan implements AttemptObserver {
  readonly spanId: string;
  readonly #sink: SpanSink;
  readonly #trace: RequestTrace;
  readonly #request: TracedRequest;
  readonly #name: string;
  readonly #cluster: string;
  readonly #upstream: string;
  readonly #address: string;
  readonly #attempt: number;
  readonly #start = epochMs();

  constructor(sink: SpanSink, trace: RequestTrace, request: TracedRequest, spanId: string, name: string, cluster: string, upstream: string, address: string, attempt: number) {
    this.#sink = sink;
    this.#trace = trace;
    this.#request = request;
    this.spanId = spanId;
    this.#name = name;
    this.#cluster = cluster;
    this.#upstream = upstream;
    this.#address = address;
    this.#attempt = attempt;
  }

  end(status: number, err: Error | undefined): void {
    const sink = this.#sink;
    sink.record(spanRecord(this.#trace, this.spanId, this.#name, SPAN_KIND.client, this.#start, sink.common, this.#request, status, attemptFlags(status, err), this.#cluster, this.#upstream, this.#address, this.#attempt, err !== undefined, sink.clientHeaderTags));
  }
}
