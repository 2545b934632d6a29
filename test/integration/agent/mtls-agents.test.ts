/**
 * mTLS, PeerAuthentication, AuthorizationPolicy and the canonical request through real agent
 * processes and a real control server with a local CA, on loopback (mesh-harness.ts): web and shop
 * call api; api's agent terminates mTLS, checks policies and forwards to the app.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { makeLeaf, makeRoot, rootFromPem } from '../../unit/identity/cert-factory.ts';
import { waitFor } from '../../support/wait-for.ts';
import { EchoApp, metricValue, type RunningAgent } from './agent-harness.ts';
import { LoopbackMesh, sendRequest, type Answer, type MeshWorkload } from './mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API: MeshWorkload = { name: 'api', address: '127.0.0.3', labels: { app: 'api' } };
const SHOP: MeshWorkload = { name: 'shop', address: '127.0.0.4', labels: { app: 'shop' } };
const WEB_ID = 'spiffe://cluster.local/ns/default/sa/web';
const API_ID = 'spiffe://cluster.local/ns/default/sa/api';

const POLICY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-public, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/web"]}}]
    to: [{operation: {methods: ["GET"], paths: ["/api/public/*"]}}]
`;
const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
`;

let mesh: LoopbackMesh;
let app: EchoApp;
let appConnections = 0;
let web: RunningAgent;
let api: RunningAgent;
let shop: RunningAgent;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One request on loopback (keep-alive unless `agent: false`); `path` is sent exactly as given. */
const send = (host: string, port: number, path: string, o: { method?: string; headers?: Record<string, string>; agent?: http.Agent | false } = {}) =>
  sendRequest(host, port, path, { ...o, agent: o.agent ?? keepAlive });

const out = (a: RunningAgent) => Object.values(a.ports.outbound)[0]!;
const viaWeb = (path: string, o?: Parameters<typeof send>[3]) => send(WEB.address, out(web), path, o);
const viaShop = (path: string, o?: Parameters<typeof send>[3]) => send(SHOP.address, out(shop), path, o);
/** A plaintext client that talks to api's address directly, as a container outside the mesh would. */
const plaintext = (path: string, o?: Parameters<typeof send>[3]) => send(API.address, app.port, path, { agent: false, ...o });

test.before(async () => {
  app = await new EchoApp('api').listen('127.0.0.1');
  app.server.on('connection', () => appConnections++);
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API, SHOP] });
  api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${app.port}=0`]);
  shop = await mesh.agent(SHOP, ['--outbound', `api:${app.port}=0`]);
  await Promise.all([api, web, shop].map((a) => mesh.ready(a)));
  await mesh.untilMeshed([web, shop], 'api');
});

test.after(async () => {
  keepAlive.destroy();
  await mesh?.close();
  await app?.close();
});

test('web → api over mTLS: the app sees XFCC of the verified peer and no x-dockmesh header; metrics say mutual_tls', async () => {
  const r = await viaWeb('/hello', { headers: { 'x-dockmesh-source-workload': 'evil', 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/default/sa/admin' } });
  assert.is(r.status, 200);
  const seen = JSON.parse(r.body);
  const xfcc = String(seen.headers['x-forwarded-client-cert']);
  assert.match(xfcc, new RegExp(`^By=${API_ID};Hash=[0-9a-f]{64};Subject="O=dockmesh";URI=${WEB_ID}$`));
  assert.equal(Object.keys(seen.headers).filter((h: string) => h.startsWith('x-dockmesh-')), []);
  const m = await mesh.metrics(api);
  const labels = { reporter: 'destination', source_principal: WEB_ID, source_workload: 'web', destination_principal: API_ID, connection_security_policy: 'mutual_tls', response_code: '200' };
  assert.ok(metricValue(m, 'istio_requests_total', labels) >= 1, 'destination metrics with the peer principal');
  assert.is(metricValue(m, 'istio_requests_total', { source_workload: 'evil' }), 0);
  const src = await mesh.metrics(web);
  assert.ok(metricValue(src, 'istio_requests_total', { reporter: 'source', source_principal: WEB_ID, destination_principal: API_ID }) >= 1);
  assert.ok(metricValue(src, 'dockmesh_cert_expiry_seconds') > 23 * 3600, 'a 24 h leaf');
  const entry = await waitFor(() => api.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.path === '/hello'), 3000, 'inbound access log');
  assert.is(entry.source_principal, WEB_ID);
});

test('PERMISSIVE (no PeerAuthentication): a plaintext client reaches the app, its identity headers and XFCC are dropped', async () => {
  const r = await plaintext('/plain', { headers: { 'x-dockmesh-source-workload': 'web', 'x-dockmesh-source-service': 'web', 'x-forwarded-client-cert': `URI=${WEB_ID}` } });
  assert.is(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.is(seen.headers['x-forwarded-client-cert'], undefined);
  assert.equal(Object.keys(seen.headers).filter((h: string) => h.startsWith('x-dockmesh-')), []);
  const m = await mesh.metrics(api);
  assert.ok(metricValue(m, 'istio_requests_total', { reporter: 'destination', source_workload: 'unknown', source_principal: 'unknown', connection_security_policy: 'none' }) >= 1);
  const entry = await waitFor(() => api.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.path === '/plain'), 3000, 'access log');
  assert.is(entry.source_service, 'unknown');
  assert.is(entry.source_principal, undefined);
});

/** A TLS client straight to api's inbound listener; resolves with what it read before the close. */
function tlsClient(opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: API.address, port: app.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...opts }, () => {
      s.write('GET /sneaky HTTP/1.1\r\nhost: api\r\n\r\n');
    });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
    s.setTimeout(3000, () => s.destroy());
  });
}

test('refused TLS peers never reach the app: no certificate, another CA, expired, two URI SANs', async () => {
  const root = mesh.ca.store.readRoot(mesh.ca.signingRootId());
  const meshRoot = await rootFromPem(root.certPem, root.keyPem);
  const other = await makeRoot('CN=other CA');
  const cases: Array<[string, Promise<{ certPem: string; keyPem: string } | null>]> = [
    ['no certificate', Promise.resolve(null)],
    ['another CA', makeLeaf(other, { uris: [WEB_ID] })],
    ['expired', makeLeaf(meshRoot, { uris: [WEB_ID], notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) })],
    ['two URI SANs', makeLeaf(meshRoot, { uris: [WEB_ID, 'spiffe://cluster.local/ns/default/sa/admin'] })],
  ];
  const before = appConnections;
  const seenBefore = app.seen.length;
  for (const [name, make] of cases) {
    const leaf = await make;
    const got = await tlsClient(leaf ? { key: leaf.keyPem, cert: leaf.certPem, ca: [root.certPem] } : { ca: [root.certPem] });
    assert.is(got, '', `${name}: no answer`);
  }
  assert.is(appConnections, before, 'the app saw no connection');
  assert.is(app.seen.length, seenBefore);
  // A well-formed mesh leaf for web is accepted the same way (the check above is not vacuous).
  const good = await makeLeaf(meshRoot, { uris: [WEB_ID] });
  assert.match(await tlsClient({ key: good.keyPem, cert: good.certPem, ca: [root.certPem] }), /^HTTP\/1.1 200/);
});

test('AuthorizationPolicy, Istio\'s classic example: only GET /api/public/* from web', async () => {
  mesh.setMeshfile(POLICY);
  await mesh.untilConfig(api, (v) => v.snapshot?.inbound?.authz.policies.length === 1, 'policy on api');
  const cases: Array<[string, () => Promise<Answer>, number]> = [
    ['web GET /api/public/items', () => viaWeb('/api/public/items'), 200],
    ['web GET /api/public/', () => viaWeb('/api/public/'), 200],
    ['web GET /api/public', () => viaWeb('/api/public'), 403],
    ['web GET /api/private', () => viaWeb('/api/private'), 403],
    ['web POST /api/public/items', () => viaWeb('/api/public/items', { method: 'POST' }), 403],
    ['web HEAD /api/public/items', () => viaWeb('/api/public/items', { method: 'HEAD' }), 403],
    ['shop GET /api/public/items', () => viaShop('/api/public/items'), 403],
    ['plaintext GET /api/public/items', () => plaintext('/api/public/items'), 403],
    ['plaintext claiming web GET /api/public/items', () => plaintext('/api/public/items', { headers: { 'x-forwarded-client-cert': `URI=${WEB_ID}`, 'x-dockmesh-source-service': 'web' } }), 403],
  ];
  for (const [name, call, want] of cases) {
    const r = await call();
    assert.is(r.status, want, name);
    if (want === 403 && !name.includes('HEAD')) assert.is(r.body, 'RBAC: access denied', name);
  }
  const m = await mesh.metrics(api);
  assert.ok(metricValue(m, 'istio_requests_total', { reporter: 'destination', response_code: '403', response_flags: 'RBAC', source_principal: WEB_ID }) >= 4);
  // Access log lines are written in batches: wait for the line.
  await waitFor(
    () => api.stdoutLines.map((l) => JSON.parse(l)).some((e) => e.response_flags === 'RBAC' && e.path === '/api/private'),
    3000, 'RBAC in the access log',
  );
});

test('AuthorizationPolicy serviceAccounts [default/shop]: shop allowed, web and plaintext denied', async () => {
  mesh.setMeshfile(POLICY.replace('api-public', 'api-sa').replace('principals: ["cluster.local/ns/default/sa/web"]', 'serviceAccounts: ["default/shop"]'));
  await mesh.untilConfig(api, (v) => v.snapshot?.inbound?.authz.policies[0]?.name === 'api-sa', 'serviceAccounts policy on api');
  assert.is((await viaShop('/api/public/items')).status, 200);
  assert.is((await viaWeb('/api/public/items')).status, 403);
  assert.is((await plaintext('/api/public/items')).status, 403);
  mesh.setMeshfile(POLICY);
  await mesh.untilConfig(api, (v) => v.snapshot?.inbound?.authz.policies[0]?.name === 'api-public', 'classic policy back');
});

test('DestinationRule workloadSelector through the control server: shop\'s agent gets the selecting rule for api, web\'s the rule without a selector', async () => {
  const rules = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-all}
spec:
  host: api
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-from-shop}
spec:
  host: api
  workloadSelector: {matchLabels: {app: shop}}
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`;
  mesh.setMeshfile(POLICY + rules);
  const lb = (v: Parameters<Parameters<LoopbackMesh['untilConfig']>[1]>[0]) => v.snapshot?.services.find((x) => x.name === 'api')?.policy?.loadBalancer?.simple;
  await mesh.untilConfig(shop, (v) => lb(v) === 'RANDOM', 'shop: the rule that selects it');
  await mesh.untilConfig(web, (v) => lb(v) === 'ROUND_ROBIN', 'web: the rule without a selector');
  assert.is((await viaWeb('/api/public/items')).status, 200, 'web still reaches api');
  assert.is((await viaShop('/api/public/items')).status, 403, "shop reaches api's agent (its policy allows web only)");
  mesh.setMeshfile(POLICY);
  await mesh.untilConfig(shop, (v) => lb(v) === undefined, 'the rules gone');
});

test('path normalization end to end (docs/security.md): decided and forwarded on the canonical path', async () => {
  const cases: Array<[string, number, string?]> = [
    ['/api/public/../private', 403],
    ['/api/public/%2E%2E/private', 403],
    ['/api/public/%2e%2e/private', 403],
    ['/api/public/./items', 200, '/api/public/items'],
    ['/api//public/items', 200, '/api/public/items'],
    ['/api/public//items', 200, '/api/public/items'],
    ['/api/public%2Fitems', 403],
    ['/api/public/..%2Fprivate', 200, '/api/public/..%2Fprivate'],
    ['/api\\public\\items', 200, '/api/public/items'],
    ['/api/public/%61%62%63', 200, '/api/public/abc'],
    ['/api/public;x/../../private', 403],
    ['/api/public/items;jsessionid=1', 200, '/api/public/items;jsessionid=1'],
    ['/api/public/items?x=/../private', 200, '/api/public/items?x=/../private'],
    ['/api/public/items#frag', 400],
    ['/api/public/items%00', 400],
  ];
  for (const [path, want, forwarded] of cases) {
    const r = await viaWeb(path);
    assert.is(r.status, want, path);
    if (forwarded) assert.is(JSON.parse(r.body).url, forwarded, `${path} forwarded as`);
  }
  for (const host of ['API', 'Api.Default.', `api:${app.port}`, 'api.default.svc.cluster.local']) {
    assert.is((await viaWeb('/api/public/items', { headers: { host } })).status, 200, `Host: ${host}`);
  }
});

/** Raw bytes to a listener; resolves with everything read until the peer closes. */
function raw(host: string, port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => s.write(bytes));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.setTimeout(3000, () => s.destroy(new Error('the connection stayed open')));
  });
}

test('ambiguous requests are answered 400 and the connection closed, outbound and inbound', async () => {
  const absolute = await raw(WEB.address, out(web), 'GET http://shop/api/public/items HTTP/1.1\r\nHost: api\r\n\r\nGET /api/public/items HTTP/1.1\r\nHost: api\r\n\r\n');
  assert.match(absolute, /^HTTP\/1.1 400 /);
  assert.is(absolute.match(/HTTP\/1.1/g)!.length, 1, 'closed after the 400');
  const gzip = await raw(API.address, app.port, 'POST /x HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: gzip\r\n\r\n');
  assert.match(gzip, /^HTTP\/1.1 400 /);
});

test('keep-alive between agents: TLS handshakes stay far below the request count', async () => {
  const before = metricValue(await mesh.metrics(web), 'dockmesh_tls_handshakes_total', { direction: 'outbound' });
  const n = 400;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      assert.is((await viaWeb('/api/public/load')).status, 200);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const m = await mesh.metrics(web);
  const handshakes = metricValue(m, 'dockmesh_tls_handshakes_total', { direction: 'outbound' }) - before;
  // 8 client connections: about one upstream connection each, a few more if one was closed.
  assert.ok(handshakes <= 16, `${handshakes} handshakes for ${n} requests`);
  const inbound = metricValue(await mesh.metrics(api), 'dockmesh_tls_handshakes_total', { direction: 'inbound' });
  assert.ok(inbound < 40, `api accepted ${inbound} handshakes in the whole suite`);
});

test('STRICT (mesh-wide PeerAuthentication "default"): plaintext is refused before the app sees a byte; mTLS still works', async () => {
  mesh.setMeshfile(`${POLICY}---\n${STRICT}`);
  await mesh.untilConfig(api, (v) => v.snapshot?.inbound?.mtls.mode === 'STRICT', 'STRICT on api');
  const before = appConnections;
  const seen = app.seen.length;
  const got = await raw(API.address, app.port, 'GET /api/public/items HTTP/1.1\r\nHost: api\r\n\r\n');
  assert.is(got, '', 'closed without an answer');
  // A server-first client that sends nothing is refused too.
  assert.is(await raw(API.address, app.port, ''), '');
  assert.is(appConnections, before, 'the app saw no connection');
  assert.is(app.seen.length, seen);
  assert.is((await viaWeb('/api/public/items')).status, 200, 'the meshed client succeeds');
});

test.run();
