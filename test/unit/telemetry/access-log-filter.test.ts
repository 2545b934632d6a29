import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { compileAccessLogFilter } from '../../../wire/access-log-filter.ts';
import { AccessLog } from '../../../agent/access-log.ts';
import type { AccessLogEntry } from '../../../wire/types.ts';

const line = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  time: '2026-11-27T00:00:00.000Z', trace_id: null, request_id: 'r1', method: 'GET', path: '/admin/x?y=1', status: 503,
  duration_ms: 1, source_service: 'web', destination_service: 'api', upstream: '10.0.0.1:80', attempts: 1, response_flags: 'UF',
  direction: 'outbound', ...over,
});

const cases: Array<[string, Partial<AccessLogEntry>, boolean]> = [
  ['response.code >= 400', {}, true],
  ['response.code >= 400', { status: 200 }, false],
  ['response.code >= 500 || request.path.startsWith("/admin")', { status: 200 }, true],
  ["request.url_path == '/admin/x'", {}, true],
  ['response.code in [500, 503]', {}, true],
  ['!(response.code in [500, 503])', {}, false],
  ['connection.mtls', { source_principal: 'spiffe://cluster.local/ns/default/sa/web' }, true],
  ['!connection.mtls && request.method == "GET"', {}, true],
  ['request.method.matches("^(GET|HEAD)$") && upstream.address.endsWith(":80")', {}, true],
  ['request.path.contains("admin") ? response.code == 503 : false', {}, true],
  ['source.principal == "spiffe://cluster.local/ns/default/sa/web"', { source_principal: 'spiffe://cluster.local/ns/default/sa/web' }, true],
  ['connection.uri_san_peer_certificate.endsWith("/sa/web")', { source_principal: 'spiffe://cluster.local/ns/default/sa/web' }, true],
  ['request.id != "" && -1 < 0', {}, true],
  // A type mismatch at run time is an error in CEL: the line is not logged.
  ['response.code == "503" || response.code > "5"', {}, false],
];
for (const [expr, over, want] of cases) {
  test(`filter ${expr} → ${want}`, () => {
    const f = compileAccessLogFilter(expr);
    assert.ok(f.ok, JSON.stringify(f));
    if (f.ok) assert.is(f.test(line(over)), want);
  });
}

const refused: Array<[string, boolean, RegExp]> = [
  ['response.code >= ', false, /unexpected end/],
  ['response.code >>= 1', false, /unexpected/],
  ['"open', false, /unterminated string/],
  ['request.headers.size() > 0', true, /function size is not supported/],
  ['{"a": 1}', false, /unexpected "{"/],
  ['xds.cluster_name == "x"', true, /attribute xds\.cluster_name is not supported/],
  ['response.flags != 0', true, /attribute response\.flags is not supported/],
  ['request.path.lowerAscii() == "x"', true, /function lowerAscii is not supported/],
];
// Istio's own example, and headers (the request's, as it arrived; none on a TCP connection).
const withHeaders: Array<[string, Record<string, string | string[]> | undefined, boolean]> = [
  ['!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))', { 'user-agent': 'Amazon-Route53-Health-Check-Service (ref 1)' }, false],
  ['!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))', { 'user-agent': 'curl/8' }, true],
  ['!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))', {}, true],
  ['!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))', undefined, true],
  ["request.headers['x-debug'] == '1'", { 'x-debug': '1' }, true],
  ["request.headers['X-Debug'] == '1'", { 'x-debug': '1' }, true],
  ["request.headers['x-debug'] == '1'", {}, false],
  ["has(request.headers.x_debug) || has(request.headers['x-debug'])", { 'x-debug': '' }, true],
  ["'x-debug' in request.headers", { 'x-debug': '0' }, true],
  ["'x-debug' in request.headers", {}, false],
  ["request.headers['accept'] == 'a,b'", { accept: ['a', 'b'] }, true],
  ["request.host == 'api:8080'", { host: 'api:8080' }, true],
  ["request.host == 'api:8080'", { ':authority': 'api:8080' }, true],
  ["has(request.headers)", undefined, false],
];
for (const [expr, headers, want] of withHeaders) {
  test(`filter ${expr} with headers ${JSON.stringify(headers)} → ${want}`, () => {
    const f = compileAccessLogFilter(expr);
    assert.ok(f.ok, JSON.stringify(f));
    if (f.ok) assert.is(f.test(line({ status: 200 }), headers), want);
  });
}

for (const [expr, unsupported, message] of refused) {
  test(`filter ${expr} refused (${unsupported ? 'not supported' : 'not CEL'})`, () => {
    const f = compileAccessLogFilter(expr);
    assert.is(f.ok, false);
    if (!f.ok) {
      assert.is(f.unsupported, unsupported);
      assert.match(f.error, message);
    }
  });
}

test('the access log writes a line only when its direction\'s filter passes', async () => {
  let out = '';
  const sink = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
  const log = new AccessLog(true, sink, 0);
  log.setDirections({ inbound: true, outbound: true, outboundFilter: 'response.code >= 500' });
  log.write(line({ request_id: 'ok-out', status: 200 }));
  log.write(line({ request_id: 'err-out', status: 503 }));
  log.write(line({ request_id: 'ok-in', status: 200, direction: 'inbound' }));
  log.flush();
  await new Promise((r) => setImmediate(r));
  const ids = out.trim().split('\n').map((l) => (JSON.parse(l) as { request_id: string }).request_id);
  assert.equal(ids, ['err-out', 'ok-in']);
});

test.run();
