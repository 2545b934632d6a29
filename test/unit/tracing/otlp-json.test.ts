import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeTraces, nanosOf, SCOPE } from '../../../agent/tracing/otlp-json.ts';
import { SPAN_KIND, type SpanRecord } from '../../../agent/tracing/span-record.ts';

const span = (over: Partial<SpanRecord> = {}): SpanRecord => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: undefined,
  traceState: undefined,
  name: 'api.default.svc.cluster.local:8080/*',
  kind: SPAN_KIND.client,
  startMs: 1700000000123.5,
  endMs: 1700000000125.25,
  attributes: ['http.method', 'GET', 'http.status_code', 200, 'ratio', 0.5, 'error', true, 'quote', 'a"b\n'],
  common: '',
  error: false,
  ...over,
});

test('nanoseconds as decimal strings beyond 2^53, to the microsecond', () => {
  assert.is(nanosOf(1700000000123.5), '1700000000123500000');
  assert.is(nanosOf(1700000000123), '1700000000123000000');
  assert.is(nanosOf(1700000000123.4567), '1700000000123457000');
  assert.is(nanosOf(0.001), '1000');
  assert.is(nanosOf(0), '0');
});

test('ExportTraceServiceRequest: hex ids, integer enums, string int64s, typed attributes, status', () => {
  const body = encodeTraces(['service.name', 'web'], [
    span(),
    span({ spanId: '1111111111111111', parentSpanId: '2222222222222222', traceState: 'k=v', kind: SPAN_KIND.server, error: true, attributes: [], common: '{"key":"component","value":{"stringValue":"proxy"}}' }),
  ]);
  const doc = JSON.parse(body);
  const rs = doc.resourceSpans;
  assert.is(rs.length, 1);
  assert.equal(rs[0].resource.attributes, [{ key: 'service.name', value: { stringValue: 'web' } }]);
  assert.equal(rs[0].scopeSpans[0].scope, SCOPE);
  const [a, b] = rs[0].scopeSpans[0].spans;
  assert.equal(a, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    name: 'api.default.svc.cluster.local:8080/*',
    kind: 3,
    startTimeUnixNano: '1700000000123500000',
    endTimeUnixNano: '1700000000125250000',
    attributes: [
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'http.status_code', value: { intValue: '200' } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'error', value: { boolValue: true } },
      { key: 'quote', value: { stringValue: 'a"b\n' } },
    ],
    status: {},
  });
  assert.is(b.parentSpanId, '2222222222222222');
  assert.is(b.traceState, 'k=v');
  assert.is(b.kind, 2);
  assert.equal(b.status, { code: 2 });
  assert.equal(b.attributes, [{ key: 'component', value: { stringValue: 'proxy' } }]);
  const both = JSON.parse(encodeTraces([], [span({ attributes: ['a', 'b'], common: '{"key":"c","value":{"stringValue":"d"}}' })]));
  assert.equal(both.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((x: { key: string }) => x.key), ['a', 'c']);
});

test.run();
