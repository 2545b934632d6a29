/**
 * RequestAuthentication through a real control server and real agents (mesh-harness.ts): api's agent
 * verifies JWTs (one issuer's keys inline, another's fetched from a JWKS server on loopback by the
 * agent) before its AuthorizationPolicy reads requestPrincipals and claims; web calls api.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { es256Issuer } from '../../support/jwt-signer.ts';
import { EchoApp, type RunningAgent } from './agent-harness.ts';
import { LoopbackMesh, sendRequest, type MeshWorkload } from './mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API: MeshWorkload = { name: 'api', address: '127.0.0.3', labels: { app: 'api' } };
const A = es256Issuer('https://a.example');
const B = es256Issuer('https://b.example');
const now = () => Math.floor(Date.now() / 1000);

let mesh: LoopbackMesh;
let app: EchoApp;
let web: RunningAgent;
let api: RunningAgent;
let jwksServer: http.Server;
let jwksFetches = 0;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

function meshfile(jwksPort: number): string {
  return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: api-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  jwtRules:
  - issuer: https://a.example
    jwks: '${A.jwks}'
    outputClaimToHeaders: [{header: x-user, claim: sub}]
  - issuer: https://b.example
    jwksUri: http://127.0.0.1:${jwksPort}/keys
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  rules:
  - to: [{operation: {paths: ["/public/*"]}}]
  - from: [{source: {requestPrincipals: ["https://a.example/*"]}}]
    to: [{operation: {paths: ["/private/*"]}}]
  - when: [{key: "request.auth.claims[groups]", values: [admins]}]
    to: [{operation: {paths: ["/admin/*"]}}]
`;
}

const get = (path: string, token?: string) =>
  sendRequest(WEB.address, Object.values(web.ports.outbound)[0]!, path, { agent: keepAlive, headers: token ? { authorization: `Bearer ${token}` } : {} });
const seen = (r: { body: string }) => JSON.parse(r.body).headers as Record<string, string>;

test.before(async () => {
  jwksServer = http.createServer((req, res) => {
    jwksFetches++;
    if (req.url !== '/keys') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(B.jwks);
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  app = await new EchoApp('api').listen('127.0.0.1');
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API], meshfile: meshfile((jwksServer.address() as AddressInfo).port) });
  api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${app.port}=0`]);
  await Promise.all([api, web].map((a) => mesh.ready(a)));
  await mesh.untilMeshed([web], 'api');
  await mesh.untilConfig(api, (v) => (v.snapshot?.inbound?.jwt?.length ?? 0) === 2, 'api has the JWT rules');
});

test.after(async () => {
  keepAlive.destroy();
  await mesh?.close();
  await app?.close();
  jwksServer?.close();
});

test('no token: no identity (public allowed, private denied by the policy)', async () => {
  assert.is((await get('/public/x')).status, 200);
  assert.is((await get('/private/x')).status, 403);
});

test('a valid token: requestPrincipals allow it; the token is not forwarded, its sub is (outputClaimToHeaders)', async () => {
  const r = await get('/private/x', A.token({ sub: 'alice', exp: now() + 600 }));
  assert.is(r.status, 200, r.body);
  const h = seen(r);
  assert.is(h['x-user'], 'alice');
  assert.is(h.authorization, undefined);
});

test('an invalid token is refused by authentication (401, Envoy\'s message and challenge), even on a public path', async () => {
  const r = await get('/public/x', A.token({ sub: 'alice', exp: now() - 3600 }));
  assert.is(r.status, 401);
  assert.is(r.body, 'Jwt is expired');
  assert.is(r.headers['www-authenticate'], 'Bearer realm="http://api/public/x", error="invalid_token"');
  assert.is((await get('/public/x', 'not-a-jwt')).status, 401);
});

test('the other issuer\'s keys come from its jwksUri (fetched by the agent once); its principal is not a.example\'s', async () => {
  const token = B.token({ sub: 'bob', exp: now() + 600 });
  assert.is((await get('/public/x', token)).status, 200, 'verified with the fetched keys');
  assert.is((await get('/private/x', token)).status, 403, 'https://b.example/bob is not https://a.example/*');
  assert.is((await get('/public/y', token)).status, 200);
  assert.is(jwksFetches, 1, 'cached');
});

test('the server agent\'s metrics count request authentication, its token cache and the JWKS fetch', async () => {
  const m = await mesh.metrics(api);
  const value = (re: RegExp) => Number(re.exec(m)?.[1] ?? NaN);
  assert.ok(value(/^dockmesh_jwt_authn_requests_total\{result="allowed"\} (\S+)$/m) >= 6, m);
  assert.ok(value(/^dockmesh_jwt_authn_requests_total\{result="denied"\} (\S+)$/m) >= 2);
  assert.ok(value(/^dockmesh_jwt_cache_lookups_total\{result="miss"\} (\S+)$/m) >= 2);
  assert.ok(value(/^dockmesh_jwt_cache_lookups_total\{result="hit"\} (\S+)$/m) >= 1, 'b\'s token, sent twice on /public');
  assert.is(value(/^dockmesh_jwks_fetches_total\{result="success"\} (\S+)$/m), 1);
});

test('claims conditions: groups [admins] allowed on /admin, others denied', async () => {
  assert.is((await get('/admin/x', A.token({ sub: 'root', groups: ['dev', 'admins'], exp: now() + 600 }))).status, 200);
  assert.is((await get('/admin/x', A.token({ sub: 'eve', groups: ['dev'], exp: now() + 600 }))).status, 403);
});

test.run();
