/**
 * Namespaces through a real control server and real agents (mesh-harness.ts): shop carries
 * `dockmesh.namespace: team`, web and api are in `default`. shop's identity, AuthorizationPolicy
 * namespaces, and which VirtualService each client takes (exportTo) follow the label; a root
 * VirtualService in default delegates to one in team.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { EchoApp, type RunningAgent } from './agent-harness.ts';
import { LoopbackMesh, sendRequest, type MeshWorkload } from './mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API: MeshWorkload = { name: 'api', address: '127.0.0.3', labels: { app: 'api' } };
const SHOP: MeshWorkload = { name: 'shop', address: '127.0.0.4', labels: { app: 'shop', 'dockmesh.namespace': 'team' } };

/** api allows /team/* from namespace team and /web/* from namespace default. */
const POLICY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-by-namespace, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  rules:
  - from: [{source: {namespaces: [team]}}]
    to: [{operation: {paths: ["/team/*"]}}]
  - from: [{source: {namespaces: [default]}}]
    to: [{operation: {paths: ["/web/*"]}}]
`;
/** team's own routes for api (exportTo "."): a 418 on /web/*; everyone else takes the public one. */
const ROUTES = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-for-team, namespace: team}
spec:
  hosts: [api.default]
  exportTo: ["."]
  http:
  - match: [{uri: {prefix: /web/}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: api.default}}]
  - route: [{destination: {host: api.default}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api]
  http:
  - timeout: 7s
    route: [{destination: {host: api}}]
`;

let mesh: LoopbackMesh;
let app: EchoApp;
let web: RunningAgent;
let shop: RunningAgent;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

const get = (address: string, client: RunningAgent, path: string) => sendRequest(address, Object.values(client.ports.outbound)[0]!, path, { agent: keepAlive });
const viaWeb = (path: string) => get(WEB.address, web, path);
const viaShop = (path: string) => get(SHOP.address, shop, path);

test.before(async () => {
  app = await new EchoApp('api').listen('127.0.0.1');
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API, SHOP], meshfile: POLICY });
  const api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`]);
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

test('dockmesh.namespace: shop is in team (its snapshot, its certificate as api sees it, AuthorizationPolicy namespaces)', async () => {
  await mesh.untilConfig(shop, (v) => v.snapshot?.self.namespace === 'team', 'shop in team');
  const fromShop = await viaShop('/team/orders');
  assert.is(fromShop.status, 200);
  assert.match(String(JSON.parse(fromShop.body).headers['x-forwarded-client-cert']), /URI=spiffe:\/\/cluster\.local\/ns\/team\/sa\/shop$/);
  assert.is((await viaShop('/web/orders')).status, 403, 'not from default');
  assert.is((await viaWeb('/web/orders')).status, 200);
  assert.is((await viaWeb('/team/orders')).status, 403, 'web is in default');
});

test('exportTo: team\'s private VirtualService applies to shop only; web takes the public one', async () => {
  mesh.setMeshfile(POLICY + ROUTES);
  const timeout = (v: Parameters<Parameters<LoopbackMesh['untilConfig']>[1]>[0]) => v.snapshot?.services.find((s) => s.name === 'api')?.http?.at(-1)?.timeoutMs;
  await mesh.untilConfig(web, (v) => timeout(v) === 7000, 'web: the public VirtualService');
  await mesh.untilConfig(shop, (v) => v.snapshot?.services.find((s) => s.name === 'api')?.http?.length === 2, 'shop: its namespace\'s');
  assert.is(timeout(JSON.parse((await mesh.admin(shop, '/config')).text)), undefined, 'not the public one');
  assert.is((await viaShop('/web/orders')).status, 418, 'team\'s fault');
  assert.is((await viaShop('/team/orders')).status, 200);
  assert.is((await viaWeb('/web/orders')).status, 200, 'no fault for default');
  mesh.setMeshfile(POLICY);
  await mesh.untilConfig(shop, (v) => !v.snapshot?.services.find((s) => s.name === 'api')?.http, 'routes gone');
  assert.is((await viaShop('/web/orders')).status, 403, 'back to the policy\'s answer');
});

test('delegate: default\'s root VirtualService hands /web/* to team\'s delegate (merged: its 418 on /web/teapot, the rest of /web/* routed)', async () => {
  const delegation = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api]
  http:
  - name: web
    match: [{uri: {prefix: /web/}}]
    delegate: {name: api-web, namespace: team}
  - route: [{destination: {host: api}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-web, namespace: team}
spec:
  exportTo: [default]
  http:
  - name: teapot
    match: [{uri: {prefix: /web/teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: api.default}}]
  - name: rest
    route: [{destination: {host: api.default}}]
`;
  mesh.setMeshfile(POLICY + delegation);
  const names = (v: Parameters<Parameters<LoopbackMesh['untilConfig']>[1]>[0]) => v.snapshot?.services.find((s) => s.name === 'api')?.http?.map((h) => h.name ?? '-').join(',');
  await mesh.untilConfig(web, (v) => names(v) === 'web-teapot,web-rest,-', 'web: the merged routes');
  assert.is((await viaWeb('/web/teapot')).status, 418, 'the delegate\'s fault');
  assert.is((await viaWeb('/web/orders')).status, 200, 'the delegate\'s catch-all, narrowed to /web/');
  assert.is((await viaWeb('/team/orders')).status, 403, 'the root\'s own route (api\'s policy answers)');
  mesh.setMeshfile(POLICY);
  await mesh.untilConfig(web, (v) => names(v) === undefined, 'routes gone');
});

test.run();
