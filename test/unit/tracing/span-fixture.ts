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
    tags: undefined,
    ...over,
  };
}

/** Shared attributes as the tracer would keep them (component, mesh id). */
export const FIXTURE_COMMON: readonly AttributeValue[] = ['component', 'proxy', 'istio.mesh_id', 'cluster.local'];

/**
 * Span shapes both encoders' tests run (span-writer against spanJson, otlp-proto against the JSON
 * body): each test adds the cases of its own encoding (escapes, varint steps, generic paths).
 */
export const SPAN_CASES: ReadonlyArray<[string, Partial<SpanRecord>]> = [
  ['a client span with every attribute', { common: FIXTURE_COMMON, userAgent: 'curl/8.0' }],
  ['a root server span, no upstream, no request id', { kind: SPAN_KIND.server, upstream: undefined, requestId: undefined, attempt: 0, cluster: 'inbound|8080||' }],
  ['a parent and a tracestate with a quote and a control character', { parentSpanId: '1111111111111111', traceState: 'k=v,"q"=\u0001' }],
  ['an error with no answer', { error: true, status: 0, flags: 'UF' }],
  ['HTTP/2', { protocol: 'HTTP/2' }],
  ['an absolute-form target', { urlHost: null, urlTarget: 'http://other:81/x?y=1' }],
  ['an asterisk target', { urlTarget: '*' }],
  ['a path with a quote, a backslash and a control character', { urlTarget: '/a"b\\c\td' }],
  ['a host with non-ASCII text', { urlHost: 'bücher:80' }],
  ['a name and a cluster with non-ASCII text, a quote and a newline', { name: 'ä"/*', cluster: 'out\nbound' }],
  ['large sizes, many attempts', { requestSize: 2 ** 53 - 1, responseSize: 1e15, attempt: 12, status: 599 }],
  ['times at zero and in the far future', { startMs: 0, endMs: 8.9e12 + 0.5 }],
  ['times with sub-microsecond fractions', { startMs: 1700000000123.4567, endMs: 1700000000123.0004 }],
  ['an empty common, empty strings', { common: [], flags: '', peer: '', method: '', urlHost: '', urlTarget: '' }],
  ['header custom tags (Telemetry)', { common: FIXTURE_COMMON, tags: ['plan', 'gold', 'user', 'alice'] }],
  ['header custom tags with non-ASCII text, quotes and an error', { tags: ['user', 'ü"x\\y', 'k😀', '', 'long', 'v'.repeat(3000)], error: true, status: 503 }],
];
