/**
 * VirtualService routing, DestinationRule balancing, header operations, redirects, direct responses,
 * mirrors, fault injection and local rate limits, end to end through one agent process on loopback.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpRouteSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { metricValue, SnapshotFiles, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';
import { appEndpoint, Client, logEntry, ScriptedApp, trafficService } from './traffic-harness.ts';

let files: SnapshotFiles;
let agent: RunningAgent;
let client: Client;
let admin: TestClient;
const apps: Record<string, ScriptedApp> = {};

const dest = (service: string, subset?: string, weight = 100) => ({ destination: { service, namespace: 'default', ...(subset ? { subset } : {}) }, weight });
const subsets = [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }];
const noRetry = { attempts: 0, retryOn: [] };

test.before(async () => {
  files = new SnapshotFiles();
  client = new Client();
  admin = new TestClient();
  for (const name of ['api-v1', 'api-v2', 'shadow', 'sticky-a', 'sticky-b', 'sticky-c', 'limited']) apps[name] = await new ScriptedApp(name).listen();
  const apiRoutes: HttpRouteSnapshot[] = [
    { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }, { queryParams: { canary: { exact: 'yes' } } }], route: [dest('api', 'v2')], retries: noRetry },
    { name: 'split', match: [{ uri: { prefix: '/split' } }], route: [dest('api', 'v1', 90), dest('api', 'v2', 10)], retries: noRetry },
    { name: 'legacy', match: [{ uri: { prefix: '/v1/' } }], rewrite: { uri: '/api/' }, route: [dest('api', 'v1')], retries: noRetry },
    { name: 'host', match: [{ uri: { exact: '/authority' } }], rewrite: { authority: 'rewritten.example' }, route: [dest('api', 'v1')] },
    { name: 'old', match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new', authority: 'new.example', redirectCode: 308 } },
    { name: 'secure', match: [{ uri: { exact: '/secure' } }], redirect: { scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT', redirectCode: 301 } },
    { name: 'moved', match: [{ uri: { exact: '/moved' } }], redirect: { uri: '/here', authority: 'other.example', derivePort: 'FROM_REQUEST_PORT', redirectCode: 302 } },
    { name: 'kept', match: [{ uri: { exact: '/kept' } }], redirect: { scheme: 'https', redirectCode: 301 } },
    { name: 'renamed', match: [{ uri: { prefix: '/legacy-docs/' } }], redirect: { prefixRewrite: '/docs/', redirectCode: 301 } },
    { name: 'teapot', match: [{ uri: { exact: '/teapot' }, method: { exact: 'GET' } }], directResponse: { status: 418, body: 'short and stout' } },
    {
      name: 'headers',
      match: [{ uri: { prefix: '/hdr' } }],
      route: [{ ...dest('api', 'v1'), headers: { response: { set: { 'x-dest': 'v1' } }, request: { add: { 'x-dest-req': 'yes' } } } }],
      headers: { request: { set: { 'x-env': 'test' }, remove: ['x-debug'] }, response: { add: { 'x-route': 'hdr' }, remove: ['x-app'] } },
    },
    { name: 'mirror', match: [{ uri: { prefix: '/mirror' } }], route: [dest('api', 'v1')], mirrors: [{ destination: { service: 'shadow', namespace: 'default' }, percent: 100 }] },
    { name: 'abort', match: [{ uri: { prefix: '/fault/abort' } }], route: [dest('api', 'v1')], fault: { abort: { httpStatus: 503, percent: 100 } } },
    { name: 'delay', match: [{ uri: { prefix: '/fault/delay' } }], route: [dest('api', 'v1')], fault: { delay: { fixedDelayMs: 300, percent: 100 } } },
    { name: 'half', match: [{ uri: { prefix: '/fault/half' } }], route: [dest('api', 'v1')], fault: { abort: { httpStatus: 500, percent: 50 } } },
    { name: 'not-for-me', match: [{ uri: { prefix: '/web-only' }, sourceLabels: { app: 'mobile' } }], directResponse: { status: 410 } },
    { name: 'throttled', match: [{ uri: { prefix: '/throttled' } }], route: [dest('api', 'v1')], rateLimit: { maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 10_000 } },
    { name: 'nodebug', match: [{ uri: { prefix: '/nodebug' }, withoutHeaders: { 'x-debug': { present: true } } }], directResponse: { status: 204 } },
    { name: 'default', match: [{ uri: { regex: '/(default|other)/.*' } }, { uri: { exact: '/' } }], route: [dest('api', 'v1')] },
  ];
  const api = trafficService('api', 8080, [
    appEndpoint(apps['api-v1']!, '10.3.0.1', 8080, { version: 'v1' }),
    appEndpoint(apps['api-v2']!, '10.3.0.2', 8080, { version: 'v2' }),
  ], { subsets, http: apiRoutes });
  const shadow = trafficService('shadow', 8080, [appEndpoint(apps.shadow!, '10.3.0.3', 8080)]);
  const sticky = trafficService('sticky', 8080, ['a', 'b', 'c'].map((x, i) => appEndpoint(apps[`sticky-${x}`]!, `10.3.1.${i + 1}`, 8080)), {
    policy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
  });
  // Consistent hash on a cookie the agent generates (ttl set), with extra cookie attributes.
  const cookie = trafficService('cookie', 8080, ['a', 'b', 'c'].map((x, i) => appEndpoint(apps[`sticky-${x}`]!, `10.3.2.${i + 1}`, 8080)), {
    policy: { loadBalancer: { consistentHash: { httpCookie: { name: 'route', path: '/', ttlMs: 3_600_000, attributes: [{ name: 'SameSite', value: 'Lax' }, { name: 'Secure' }] } } } },
  });
  const limited = trafficService('limited', 8080, [appEndpoint(apps.limited!, '10.3.0.4', 8080)], { rateLimit: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 } });
  agent = await startAgent(['--snapshot', files.write(snapshot(1, 'web', [api, shadow, sticky, cookie, limited], { app: 'web' })), '--outbound', 'api:8080=0']);
});

test.after(async () => {
  await client.close();
  await admin.close();
  await agent?.stop();
  await Promise.all(Object.values(apps).map((a) => a.close()));
  files.cleanup();
});

const port = () => agent.ports.outbound['api:8080']!;
const get = (path: string, headers: Record<string, string> = {}, host = 'api') => client.send(port(), path, { host, headers });

test('header match routes to v2, query match too; everything else to v1', async () => {
  assert.is((await get('/default/x', { 'end-user': 'jason' })).headers['x-app'], 'api-v2');
  assert.is((await get('/default/x', { 'end-user': 'bob' })).headers['x-app'], 'api-v1');
  assert.is((await get('/other/x?canary=yes')).headers['x-app'], 'api-v2');
  assert.is((await get('/')).headers['x-app'], 'api-v1');
});

test('no route matches: 404 NR', async () => {
  const r = await get('/nowhere', { 'x-request-id': 'nr-1' });
  assert.is(r.status, 404);
  assert.is((await logEntry(agent, 'nr-1')).response_flags, 'NR');
});

test('90/10 split over subsets: v2 gets 10% ± 4% of 1000 requests', async () => {
  const before = apps['api-v2']!.seen('/split').length;
  const batch = 50;
  for (let i = 0; i < 1000; i += batch) await Promise.all(Array.from({ length: batch }, () => get('/split')));
  const v2 = apps['api-v2']!.seen('/split').length - before;
  const v1 = apps['api-v1']!.seen('/split').length;
  assert.is(v1 + v2, 1000);
  assert.ok(v2 >= 60 && v2 <= 140, `v2 got ${v2} of 1000`);
});

test('prefix rewrite replaces the matched prefix; authority rewrite sets Host', async () => {
  await get('/v1/users?id=7');
  assert.ok(apps['api-v1']!.hits.some((h) => h.url === '/api/users?id=7'));
  await get('/authority');
  assert.is(apps['api-v1']!.seen('/authority').at(-1)!.headers.host, 'rewritten.example');
});

test('redirect and direct response are answered by the agent', async () => {
  const r = await get('/old?q=1', {}, 'api:8080');
  assert.is(r.status, 308);
  assert.is(r.headers.location, 'http://new.example/new?q=1');
  // derivePort: the scheme's default port (none written), or the port the request was made to.
  assert.is((await get('/secure', {}, 'api:8080')).headers.location, 'https://api/secure');
  assert.is((await get('/moved', {}, 'api')).headers.location, 'http://other.example:8080/here');
  // Neither port nor derivePort: the Host keeps its port.
  assert.is((await get('/kept', {}, 'api:8080')).headers.location, 'https://api:8080/kept');
  // prefixRewrite: the matched prefix replaced, the rest of the path and the query kept.
  assert.is((await get('/legacy-docs/a/b?x=1', {}, 'api:8080')).headers.location, 'http://api:8080/docs/a/b?x=1');
  const d = await get('/teapot');
  assert.is(d.status, 418);
  assert.is(d.text, 'short and stout');
});

test('sourceLabels: a route for other workloads is dropped here; withoutHeaders', async () => {
  assert.is((await get('/web-only')).status, 404);
  assert.is((await get('/nodebug')).status, 204);
  assert.is((await get('/nodebug', { 'x-debug': '1' })).status, 404);
});

test('request and response header operations, per route and per destination', async () => {
  const r = await get('/hdr', { 'x-debug': 'on', 'x-env': 'prod' });
  const hit = apps['api-v1']!.seen('/hdr').at(-1)!;
  assert.is(hit.headers['x-env'], 'test');
  assert.is(hit.headers['x-debug'], undefined);
  assert.is(hit.headers['x-dest-req'], 'yes');
  assert.is(r.headers['x-route'], 'hdr');
  assert.is(r.headers['x-dest'], 'v1');
  assert.is(r.headers['x-app'], undefined);
});

test('x-forwarded-for / -proto: set by the agent, client values dropped', async () => {
  await get('/default/xff', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' });
  const hit = apps['api-v1']!.seen('/default/xff').at(-1)!;
  assert.is(hit.headers['x-forwarded-for'], '127.0.0.1');
  assert.is(hit.headers['x-forwarded-proto'], 'http');
});

test('mirror: the shadow service gets a copy (Host -shadow, body included); the client gets the primary answer', async () => {
  const r = await client.send(port(), '/mirror/post', { host: 'api:8080', method: 'POST', body: 'payload-123' });
  assert.is(r.headers['x-app'], 'api-v1');
  const copy = await waitFor(() => apps.shadow!.seen('/mirror/post')[0], 3000, 'mirrored request');
  assert.is(copy.headers.host, 'api-shadow:8080');
  assert.is(copy.body, 'payload-123');
  assert.is(copy.method, 'POST');
  for (let i = 0; i < 10; i++) await get('/mirror/get');
  await waitFor(() => apps.shadow!.seen('/mirror/get').length === 10, 3000, 'ten mirrored requests');
});

test('fault abort: 503 with flag FI, never reaches the app', async () => {
  const r = await get('/fault/abort', { 'x-request-id': 'fi-1' });
  assert.is(r.status, 503);
  assert.is(r.text, 'fault filter abort\n');
  assert.is(apps['api-v1']!.seen('/fault/abort').length, 0);
  assert.is((await logEntry(agent, 'fi-1')).response_flags, 'FI');
});

test('fault delay: the request is held 300 ms (± 100 ms), then forwarded', async () => {
  const r = await get('/fault/delay', { 'x-request-id': 'di-1' });
  assert.is(r.status, 200);
  assert.ok(r.ms >= 300 && r.ms < 400, `took ${r.ms} ms`);
  assert.is((await logEntry(agent, 'di-1')).response_flags, 'DI');
});

test('fault percentage: 50% of 400 requests aborted (± 10%)', async () => {
  let aborted = 0;
  for (let i = 0; i < 400; i += 40) {
    const rs = await Promise.all(Array.from({ length: 40 }, () => get('/fault/half')));
    aborted += rs.filter((r) => r.status === 500).length;
  }
  assert.ok(aborted >= 160 && aborted <= 240, `aborted ${aborted} of 400`);
});

test('consistent hash on a header: a user sticks to one endpoint; users spread', async () => {
  const owners = new Map<string, Set<string>>();
  for (let u = 0; u < 30; u++) {
    for (let i = 0; i < 4; i++) {
      const r = await get('/sticky', { 'x-user': `user-${u}` }, 'sticky');
      const set = owners.get(`user-${u}`) ?? new Set();
      set.add(String(r.headers['x-app']));
      owners.set(`user-${u}`, set);
    }
  }
  for (const [u, set] of owners) assert.is(set.size, 1, `${u} went to ${[...set]}`);
  const used = new Set([...owners.values()].map((s) => [...s][0]));
  assert.ok(used.size >= 2, 'keys spread over endpoints');
});

test('consistent hash on a generated cookie: the first answer sets it (Max-Age, Path, the attributes, HttpOnly); requests carrying it stick', async () => {
  const clients = [];
  for (let c = 0; c < 12; c++) {
    const first = await get('/cookie', {}, 'cookie');
    const set = String(first.headers['set-cookie']);
    assert.match(set, /^route="[0-9a-f]{16}"; Max-Age=3600; Path=\/; SameSite=Lax; Secure; HttpOnly$/);
    const value = /^route=("[0-9a-f]{16}")/.exec(set)![1]!;
    const apps = new Set([String(first.headers['x-app'])]);
    for (let i = 0; i < 4; i++) {
      const r = await get('/cookie', { cookie: `other=1; route=${value}` }, 'cookie');
      assert.is(r.headers['set-cookie'], undefined, 'no new cookie once the client has one');
      apps.add(String(r.headers['x-app']));
    }
    assert.is(apps.size, 1, `client ${c} went to ${[...apps]}`);
    clients.push([...apps][0]);
  }
  assert.ok(new Set(clients).size >= 2, 'cookies spread over endpoints');
});

test('local rate limit: 5 tokens, the 6th request gets 429 RL with Retry-After', async () => {
  const rs = [];
  for (let i = 0; i < 6; i++) rs.push(await get('/limited', { 'x-request-id': `rl-${i}` }, 'limited'));
  assert.equal(rs.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
  const retryAfter = Number(rs[5]!.headers['retry-after']);
  // Whole seconds to the next fill; fills are counted from when the bucket was made (agent start).
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.is((await logEntry(agent, 'rl-5')).response_flags, 'RL');
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_rate_limited_total', { destination_service: 'limited.default' }), 1);
  assert.is(metricValue(m, 'istio_requests_total', { response_code: '429', response_flags: 'RL' }), 1);
});

test('per-route rate limit: 2 tokens for /throttled; other routes of the service unaffected', async () => {
  const rs = [];
  for (let i = 0; i < 3; i++) rs.push(await get('/throttled'));
  assert.equal(rs.map((r) => r.status), [200, 200, 429]);
  const retryAfter = Number(rs[2]!.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After ${retryAfter}`);
  assert.is((await get('/default/after-throttle')).status, 200);
});

test.run();
