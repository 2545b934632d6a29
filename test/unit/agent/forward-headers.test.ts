import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forwardHeaders, stripResponseHeaders } from '../../../agent/forward-headers.ts';

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
  assert.is(withLength.traceparent, 'tp');
  const chunked = forwardHeaders(['transfer-encoding', 'chunked']);
  assert.is(chunked.hasBody, true);
  assert.equal(chunked.headers, []);
});

test('response headers lose hop-by-hop ones and those named in Connection', () => {
  const h: Record<string, string | string[]> = {
    connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', 'transfer-encoding': 'chunked',
    'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain',
  };
  stripResponseHeaders(h);
  assert.equal(h, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' });
});

test.run();
