import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forwardHeaders, forwardResponseHeaders } from '../../../agent/forward-headers.ts';

test('drops hop-by-hop headers, keeps case, order and repeats', () => {
  const h = forwardHeaders([
    'Host', 'api:8080', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Accept', 'a', 'X-Tag', '1', 'X-Tag', '2',
    'Upgrade', 'h2c', 'TE', 'gzip', 'Proxy-Connection', 'x',
  ]);
  assert.equal(h.headers, ['Host', 'api:8080', 'Accept', 'a', 'X-Tag', '1', 'X-Tag', '2']);
  assert.is(h.host, 'api:8080');
  assert.is(h.hasBody, false);
});

test('keeps te: trailers (gRPC), drops HTTP/2 pseudo-headers, records and drops x-forwarded-*', () => {
  const h = forwardHeaders([
    ':method', 'POST', ':authority', 'api:8080', 'te', 'trailers', 'X-Forwarded-For', '6.6.6.6', 'x-forwarded-for', '7.7.7.7',
    'x-forwarded-proto', 'https', 'content-type', 'application/grpc',
  ]);
  assert.equal(h.headers, ['te', 'trailers', 'content-type', 'application/grpc']);
  assert.is(h.forwardedFor, '6.6.6.6, 7.7.7.7');
  assert.is(h.forwardedProto, 'https');
});

test('drops headers named in Connection', () => {
  const h = forwardHeaders(['Connection', 'close, X-Secret', 'x-secret', 's', 'Accept', 'a']);
  assert.equal(h.headers, ['Accept', 'a']);
});

test('strips x-dockmesh-* (any of them) and records the source identity', () => {
  const h = forwardHeaders([
    'x-dockmesh-source-workload', 'web', 'X-Dockmesh-Source-Namespace', 'default', 'x-dockmesh-source-service', 'web',
    'x-dockmesh-source-version', 'v1', 'x-dockmesh-anything', 'spoof', 'accept', '*/*',
  ]);
  assert.equal(h.headers, ['accept', '*/*']);
  assert.equal(h.source, { workload: 'web', namespace: 'default', service: 'web', version: 'v1' });
});

test('body detection and ids', () => {
  assert.is(forwardHeaders(['content-length', '0']).hasBody, false);
  const withLength = forwardHeaders(['content-length', '12', 'x-request-id', 'r1', 'traceparent', 'tp']);
  assert.is(withLength.hasBody, true);
  assert.is(withLength.contentLength, 12);
  assert.is(withLength.requestId, 'r1');
  assert.is(withLength.trace?.traceparent, 'tp');
  const chunked = forwardHeaders(['transfer-encoding', 'chunked']);
  assert.is(chunked.hasBody, true);
  assert.equal(chunked.headers, []);
});

test('trace headers: recorded and kept; with ownTrace (the agent traces) recorded and dropped', () => {
  const raw = [
    'Traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'tracestate', 'a=1', 'TraceState', 'b=2',
    'X-B3-TraceId', '463ac35c9f6413ad', 'x-b3-spanid', 'a2fb4a1d1a96d312', 'x-b3-parentspanid', '0020000000000001',
    'x-b3-sampled', '1', 'x-b3-flags', '1', 'b3', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1', 'user-agent', 'curl/8', 'accept', '*/*',
  ];
  const kept = forwardHeaders(raw);
  assert.equal(kept.headers, raw);
  assert.equal(kept.trace, {
    raw: raw.slice(0, -4),
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'a=1,b=2',
    b3TraceId: '463ac35c9f6413ad',
    b3SpanId: 'a2fb4a1d1a96d312',
    b3Sampled: '1',
    b3Flags: '1',
    b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1',
  });
  assert.is(kept.userAgent, 'curl/8');
  const own = forwardHeaders(raw, true);
  assert.equal(own.headers, ['user-agent', 'curl/8', 'accept', '*/*']);
  assert.equal(own.trace, kept.trace);
  assert.is(forwardHeaders(['accept', '*/*'], true).trace, undefined);
});

test('response headers lose hop-by-hop ones and those named in Connection, as flat pairs in order', () => {
  const h: Record<string, string | string[]> = {
    connection: 'keep-alive, X-Hop', 'keep-alive': 'timeout=5', 'x-hop': '1', 'transfer-encoding': 'chunked',
    'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain', 'proxy-authenticate': 'Basic', trailer: 'x-t', upgrade: 'h2c',
  };
  const before = structuredClone(h);
  assert.equal(forwardResponseHeaders(h), ['set-cookie', ['a=1', 'b=2'], 'content-type', 'text/plain']);
  assert.equal(h, before, 'the input is not changed');
  assert.equal(forwardResponseHeaders({ connection: ['close', 'x-a'], 'x-a': '1', 'x-b': '2', date: undefined }), ['x-b', '2']);
  assert.equal(forwardResponseHeaders({}), []);
});

test.run();
