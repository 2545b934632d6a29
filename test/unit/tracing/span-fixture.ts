import { SPAN_KIND, type AttributeValue, type SpanRecord } from '../../../agent/tracing/span-record.ts';

/** No shared attributes: one array, as the tracer keeps one per identity (the writers' heads compare it by identity). */
export const NO_COMMON: readonly AttributeValue[] = Object.freeze([]);

/** A CLIENT span record with every field set; `over` replaces some. */
export function spanFixture(over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: undefined,
    traceState: undefined,
    name: 'api.default.svc.cluster.local:8080/*',
    kind: SPAN_KIND.client,
    startMs: 1700000000123.5,
    endMs: 1700000000125.25,
    error: false,
    method: 'GET',
    urlHost: 'api:8080',
    urlTarget: '/orders/7?q="x"',
    protocol: 'HTTP/1.1',
    status: 200,
    flags: '-',
    cluster: 'outbound|8080||api.default',
    upstream: '10.0.0.3:8080',
    peer: '10.0.0.3',
    requestSize: 0,
    responseSize: 64,
    requestId: 'req-1',
    userAgent: undefined,
    attempt: 1,
    common: NO_COMMON,
    ...over,
  };
}
