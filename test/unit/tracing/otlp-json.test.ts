import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attributesJson, encodeTraces, nanosOf, SCOPE } from '../../../agent/tracing/otlp-json.ts';
import { SPAN_KIND } from '../../../agent/tracing/span-record.ts';
import { spanFixture as span } from './span-fixture.ts';

test('nanoseconds as decimal strings beyond 2^53, to the microsecond', () => {
  assert.is(nanosOf(1700000000123.5), '1700000000123500000');
  assert.is(nanosOf(1700000000123), '1700000000123000000');
  assert.is(nanosOf(1700000000123.4567), '1700000000123457000');
  assert.is(nanosOf(0.001), '1000');
  assert.is(nanosOf(0), '0');
});

test('attribute lists: typed values, escaped strings', () => {
  assert.equal(JSON.parse(attributesJson(['s', 'a"b\n', 'i', 200, 'd', 0.5, 'b', true])), [
    { key: 's', value: { stringValue: 'a"b\n' } },
    { key: 'i', value: { intValue: '200' } },
    { key: 'd', value: { doubleValue: 0.5 } },
    { key: 'b', value: { boolValue: true } },
  ]);
});

test('ExportTraceServiceRequest: hex ids, integer enums, string int64s, Envoy attribute names, status', () => {
  const body = encodeTraces(['service.name', 'web'], [
    span(),
    span({
      spanId: '1111111111111111', parentSpanId: '2222222222222222', traceState: 'k=v', kind: SPAN_KIND.server, error: true, status: 503, flags: 'UF',
      upstream: undefined, requestId: undefined, userAgent: 'curl/8', attempt: 0, common: ['component', 'proxy'],
    }),
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
      { key: 'http.protocol', value: { stringValue: 'HTTP/1.1' } },
      { key: 'upstream_cluster', value: { stringValue: 'outbound|8080||api.default' } },
      { key: 'upstream_cluster.name', value: { stringValue: 'outbound|8080||api.default' } },
      { key: 'upstream_address', value: { stringValue: '10.0.0.3:8080' } },
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'http.url', value: { stringValue: 'http://api:8080/orders/7?q="x"' } },
      { key: 'http.status_code', value: { intValue: '200' } },
      { key: 'response_flags', value: { stringValue: '-' } },
      { key: 'peer.address', value: { stringValue: '10.0.0.3' } },
      { key: 'request_size', value: { intValue: '0' } },
      { key: 'response_size', value: { intValue: '64' } },
      { key: 'guid:x-request-id', value: { stringValue: 'req-1' } },
      { key: 'dockmesh.attempt', value: { intValue: '1' } },
    ],
    status: {},
  });
  assert.is(b.parentSpanId, '2222222222222222');
  assert.is(b.traceState, 'k=v');
  assert.is(b.kind, 2);
  assert.equal(b.status, { code: 2 });
  const keys = b.attributes.map((x: { key: string }) => x.key);
  assert.equal(keys, ['http.protocol', 'upstream_cluster', 'upstream_cluster.name', 'component', 'http.method', 'http.url', 'http.status_code', 'response_flags', 'peer.address', 'request_size', 'response_size', 'user_agent', 'error']);
  assert.equal(b.attributes.find((x: { key: string }) => x.key === 'error').value, { boolValue: true });
});

test.run();
