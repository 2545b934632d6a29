/**
 * Flagger's session affinity end to end on loopback (mesh-harness.ts): a real control server and
 * real agent processes; web calls api, whose primary replica (api-1, v1) and canary replica (api-2,
 * v2, which sets a cookie of its own) run behind their own agents. As Flagger's own e2e test does:
 * requests without a cookie are split by weight and come back with the cookie of the side that
 * answered; with the canary cookie every request goes to the canary, with the primary cookie to the
 * primary; once the canary is gone, the old cookie is answered with Max-Age=-1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { EchoApp, type RunningAgent } from '../agent/agent-harness.ts';
import { LoopbackMesh, type MeshWorkload } from '../agent/mesh-harness.ts';
import type { CanaryStatusView } from '../../../wire/types.ts';
import { API_CANARY_HEAD } from '../../support/canary-controller.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API1: MeshWorkload = { name: 'api-1', address: '127.0.0.3', labels: { version: 'v1' } };
const API2: MeshWorkload = { name: 'api-2', address: '127.0.0.4', labels: { version: 'v2', 'dockmesh.canary': 'true' } };

const MESHFILE = `${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 50
    sessionAffinity:
      cookieName: canary-flagger-cookie
      primaryCookieName: primary-flagger-cookie
      path: /
      httpOnly: true
`;

let mesh: LoopbackMesh;
let v1: EchoApp;
let v2: http.Server;
let web: RunningAgent;

interface Answer {
  app: string;
  cookies: string[];
}

/** One GET through web's agent, with `cookie` when given: who answered, and its Set-Cookie lines. */
function get(cookie?: string): Promise<Answer> {
  const port = Object.values(web.ports.outbound)[0]!;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: WEB.address, port, path: '/', headers: { host: 'api', ...(cookie && { cookie }) }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ app: String(res.headers['x-app']), cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function status(): Promise<CanaryStatusView> {
  const r = await fetch(`${mesh.url}/v1/canaries`, { headers: { authorization: 'Bearer cli-token' } });
  return ((await r.json()) as CanaryStatusView[])[0]!;
}

/** One analysis tick; then waits until web's agent has the routes it made. */
async function step(routes: string[]): Promise<CanaryStatusView> {
  await mesh.server.canaries.tickAll();
  await mesh.untilConfig(web, (v) => JSON.stringify(v.snapshot?.services.find((x) => x.name === 'api')?.http?.map((h) => h.name)) === JSON.stringify(routes), `web's routes to api: ${routes.join(', ')}`);
  return status();
}

test.before(async () => {
  v1 = await new EchoApp('v1').listen('127.0.0.1');
  v2 = http.createServer((_req, res) => res.writeHead(200, { 'x-app': 'v2', 'set-cookie': 'app-session=s1; Path=/' }).end('v2'));
  await new Promise<void>((r) => v2.listen(v1.port, '127.0.0.6', () => r()));
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API1, API2], meshfile: MESHFILE, canaryIntervalMs: 3_600_000 });
  const api1 = await mesh.agent(API1, ['--inbound', `${v1.port}=${v1.port}`]);
  const api2 = await mesh.agent(API2, ['--app-host', '127.0.0.6', '--inbound', `${v1.port}=${v1.port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${v1.port}=0`]);
  await Promise.all([api1, api2, web].map((a) => mesh.ready(a)));
  await mesh.untilConfig(web, (v) => (v.snapshot?.services.find((s) => s.name === 'api')?.endpoints.filter((e) => e.meshed).length ?? 0) === 2, 'both api endpoints meshed');
});

test.after(async () => {
  await mesh?.close();
  await v1?.close();
  v2?.closeAllConnections();
  v2?.close();
});

test('before the canary has a weight: no cookie, every request to the primary', async () => {
  const s = await step(['primary']);
  assert.equal([s.phase, s.canaryWeight, s.sessionAffinity], ['Progressing', 0, {}]);
  for (let i = 0; i < 5; i++) assert.equal(await get(), { app: 'v1', cookies: [] });
});

test('at 50%: each side sets its cookie; the canary cookie keeps a client on the canary, the primary cookie on the primary', async () => {
  const s = await step(['canary-session', 'primary-session', 'primary']);
  assert.equal(s.canaryWeight, 50);
  const canaryCookie = s.sessionAffinity!.canaryCookie!;
  const primaryCookie = s.sessionAffinity!.primaryCookie!;
  assert.match(canaryCookie, /^canary-flagger-cookie=[A-Za-z]{10}$/);
  assert.match(primaryCookie, /^primary-flagger-cookie=[A-Za-z]{10}$/);
  const seen = { v1: 0, v2: 0 };
  for (let i = 0; i < 40; i++) {
    const a = await get();
    seen[a.app as 'v1' | 'v2']++;
    if (a.app === 'v2') assert.equal(a.cookies, ['app-session=s1; Path=/', `${canaryCookie}; Max-Age=86400; HttpOnly; Path=/`], 'the app\'s own cookie is kept');
    else assert.equal(a.cookies, [`${primaryCookie}; Max-Age=60; HttpOnly; Path=/`]);
  }
  assert.ok(seen.v1 >= 5 && seen.v2 >= 5, JSON.stringify(seen));
  for (let i = 0; i < 20; i++) assert.is((await get(`other=1; ${canaryCookie}`)).app, 'v2');
  for (let i = 0; i < 20; i++) assert.is((await get(primaryCookie)).app, 'v1');
  const sticky = await get(canaryCookie);
  assert.equal(sticky.cookies, ['app-session=s1; Path=/'], 'the sticky route sets no cookie of its own');
});

test('the canary gone: back to the primary, and the old canary cookie is answered with Max-Age=-1', async () => {
  const before = (await status()).sessionAffinity!.canaryCookie!;
  mesh.setWorkloads(['web', 'api-1']);
  const s = await step(['canary-session-expired', 'primary']);
  assert.equal([s.phase, s.canaryWeight, s.sessionAffinity], ['Initialized', 0, { previousCookie: before }]);
  assert.equal(await get(before), { app: 'v1', cookies: [`${before}; Max-Age=-1`] });
  assert.equal(await get(), { app: 'v1', cookies: [] });
});

test.run();
