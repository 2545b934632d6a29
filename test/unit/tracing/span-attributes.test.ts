import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPLY } from '../../../agent/dispatch/local-reply.ts';
import { attemptFlags } from '../../../agent/tracing/request-trace.ts';
import { spanUrl } from '../../../agent/tracing/otlp-json.ts';
import { commonAttributes, customTagAttributes, headerTagsOf, resourceAttributes, spanRecord, type TracedRequest } from '../../../agent/tracing/span-attributes.ts';
import { SPAN_KIND } from '../../../agent/tracing/span-record.ts';

const request = (over: Partial<TracedRequest> = {}): TracedRequest => ({
  method: 'POST',
  h2: false,
  peer: '10.0.0.2',
  head: { host: 'api:8080', requestId: 'r1', userAgent: 'curl/8', contentLength: 12 },
  req: { url: '/orders?x=1' },
  requestBytes: 0,
  responseBytes: 64,
  start: 0,
  ...over,
});
const self = { service: 'web', namespace: 'shop', workload: 'web', container: 'c1', containerName: 'proj-web-1', labels: { version: 'v2' } };

test('http.url: http://host + origin-form target; an absolute-form target as sent', () => {
  const url = (r: TracedRequest) => spanUrl(spanRecord({ traceId: 'a'.repeat(32), parentSpanId: undefined, traceState: undefined }, 's', 'n', SPAN_KIND.client, 1, [], r, 200, '-', '-', null, 'p', 0, false, undefined));
  assert.is(url(request()), 'http://api:8080/orders?x=1');
  assert.is(url(request({ req: { url: 'http://other/x' } })), 'http://other/x');
  assert.is(url(request({ head: {} })), 'http:///orders?x=1');
  assert.is(url(request({ req: { url: '*' } })), 'http://api:8080*');
  assert.is(url(request({ req: {} })), 'http://api:8080/');
});

test('a span record: the request, its outcome, ERROR on 5xx, no answer or a failed attempt', () => {
  const t = { traceId: 'a'.repeat(32), parentSpanId: 'b'.repeat(16), traceState: 'k=v' };
  const ok = spanRecord(t, 'c'.repeat(16), 'n', SPAN_KIND.client, 1, [], request(), 200, '-', 'outbound|8080||api.shop', '10.0.0.3:8080', '10.0.0.3', 1, false, undefined);
  assert.equal({ ...ok, endMs: 0 }, {
    traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), traceState: 'k=v', name: 'n', kind: 3, startMs: 1, endMs: 0,
    error: false, method: 'POST', urlHost: 'api:8080', urlTarget: '/orders?x=1', protocol: 'HTTP/1.1', status: 200, flags: '-', cluster: 'outbound|8080||api.shop',
    upstream: '10.0.0.3:8080', peer: '10.0.0.3', requestSize: 12, responseSize: 64, requestId: 'r1', userAgent: 'curl/8', attempt: 1, common: [], tags: undefined,
  });
  assert.ok(ok.endMs > 1);
  const at = (status: number, failed = false) => spanRecord(t, 's', 'n', SPAN_KIND.server, 1, [], request({ h2: true }), status, '-', '-', null, 'p', 0, failed, undefined);
  assert.is(at(503).error, true);
  assert.is(at(0).error, true);
  assert.is(at(404).error, false);
  assert.is(at(200, true).error, true);
  assert.is(at(200).protocol, 'HTTP/2');
  assert.is(at(200).upstream, undefined);
});

test('attempt flags: local replies keep theirs; UF before a response, UC after', () => {
  assert.is(attemptFlags(200, undefined), '-');
  assert.is(attemptFlags(503, REPLY.retrying), 'URX');
  assert.is(attemptFlags(0, REPLY.perTryTimeout), 'UT');
  assert.is(attemptFlags(0, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), 'UF');
  assert.is(attemptFlags(200, Object.assign(new Error('reset'), { code: 'ECONNRESET' })), 'UC');
});

test('shared attributes and the resource name the workload', () => {
  const flat = commonAttributes(self, '172.18.0.5');
  const common = Array.from({ length: flat.length / 2 }, (_, i) => ({ key: String(flat[2 * i]), value: { stringValue: flat[2 * i + 1] } }));
  assert.equal(Object.fromEntries(common.map((a) => [a.key, a.value.stringValue])), {
    component: 'proxy',
    node_id: 'sidecar~172.18.0.5~proj-web-1.shop~shop.svc.cluster.local',
    'istio.canonical_service': 'web',
    'istio.canonical_revision': 'v2',
    'istio.namespace': 'shop',
    'istio.mesh_id': 'cluster.local',
  });
  assert.equal(resourceAttributes(self), [
    'service.name', 'web', 'service.namespace', 'shop', 'telemetry.sdk.name', 'dockmesh', 'telemetry.sdk.language', 'nodejs',
    'service.version', 'v2', 'service.instance.id', 'proj-web-1',
  ]);
  assert.equal(resourceAttributes(undefined).slice(0, 2), ['service.name', 'unknown']);
});

test('header custom tags: by name, per span; a repeated header joined, an absent one takes its default or is left out', () => {
  const tags = headerTagsOf({ user: { header: 'x-user' }, plan: { header: 'x-plan', defaultValue: 'free' }, trace: { header: 'x-trace' }, env: { literal: 'dev' }, via: { header: 'via' } });
  assert.equal(tags?.map((t) => t.name), ['plan', 'trace', 'user', 'via']);
  const t = { traceId: 'a'.repeat(32), parentSpanId: undefined, traceState: undefined };
  const sp = spanRecord(t, 's', 'n', SPAN_KIND.client, 1, [], request({ req: { url: '/', headers: { 'x-user': 'alice', via: ['a', 'b'] } } }), 200, '-', '-', null, 'p', 0, false, tags);
  assert.equal(sp.tags, ['plan', 'free', 'user', 'alice', 'via', 'a,b']);
  // None present and no default: no tags at all; none configured: none.
  assert.is(spanRecord(t, 's', 'n', SPAN_KIND.client, 1, [], request(), 200, '-', '-', null, 'p', 0, false, headerTagsOf({ u: { header: 'x-user' } })).tags, undefined);
  assert.is(headerTagsOf({ env: { literal: 'dev' } }), undefined);
  // Literal and environment tags are shared attributes; header ones are not among them.
  assert.equal(customTagAttributes({ env: { literal: 'dev' }, user: { header: 'x-user' } }, {}), ['env', 'dev']);
});

test.run();
