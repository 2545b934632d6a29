/**
 * The canary controller end to end on loopback (mesh-harness.ts): a real control server and real
 * agent processes; web calls api, whose primary replica (api-1) and canary replicas (api-2, then
 * api-3, labelled dockmesh.canary: "true") run behind their own agents. The test drives the
 * analysis ticks itself (the interval is an hour), so each step is deterministic: weights reach
 * web's agent, the metrics come from the canary agents' own /metrics, and a failing canary is
 * rolled back while a healthy new revision is promoted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { EchoApp, type RunningAgent } from '../agent/agent-harness.ts';
import { callsThrough, LoopbackMesh, type MeshWorkload } from '../agent/mesh-harness.ts';
import type { CanaryStatusView } from '../../../wire/types.ts';
import { API_CANARY_HEAD } from '../../support/canary-controller.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API1: MeshWorkload = { name: 'api-1', address: '127.0.0.3', labels: { version: 'v1' } };
const API2: MeshWorkload = { name: 'api-2', address: '127.0.0.4', labels: { version: 'v2', 'dockmesh.canary': 'true' } };
const API3: MeshWorkload = { name: 'api-3', address: '127.0.0.5', labels: { version: 'v3', 'dockmesh.canary': 'true' } };

/** Flagger webhooks, served by the test: every call recorded; confirm-promotion answers 403 until opened. */
const hooks: Array<{ type: string; body: { name: string; namespace: string; phase: string; checksum: string; metadata?: Record<string, string> } }> = [];
let promotionOpen = false;
const hookServer = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    const type = req.url!.slice(1);
    hooks.push({ type, body: JSON.parse(text) });
    res.writeHead(type === 'confirm-promotion' && !promotionOpen ? 403 : 200).end(type === 'confirm-promotion' && !promotionOpen ? 'not yet' : 'ok');
  });
});

const CANARY = (hookPort: number) => `${API_CANARY_HEAD}  service:
    port: 8080
    retries: {attempts: 0}
  analysis:
    interval: 1m
    threshold: 1
    maxWeight: 50
    stepWeight: 50
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 1m
    webhooks:
    - {name: warm-up, type: pre-rollout, url: "http://127.0.0.1:${hookPort}/pre-rollout", metadata: {cmd: "hey -z 1m http://api:8080/"}}
    - {name: gate, type: confirm-promotion, url: "http://127.0.0.1:${hookPort}/confirm-promotion", timeout: 5s}
    - {name: notify, type: post-rollout, url: "http://127.0.0.1:${hookPort}/post-rollout"}
`;

let mesh: LoopbackMesh;
let v1: EchoApp;
let v3: EchoApp;
let broken: http.Server;
let web: RunningAgent;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** `n` GETs through web's agent; who answered (x-app), or the status when it was not 200. */
const calls = (n: number): Promise<Record<string, number>> => callsThrough(web, WEB.address, 'api', n, keepAlive);

async function status(): Promise<CanaryStatusView> {
  const r = await fetch(`${mesh.url}/v1/canaries`, { headers: { authorization: 'Bearer cli-token' } });
  assert.is(r.status, 200);
  const list = (await r.json()) as CanaryStatusView[];
  assert.is(list.length, 1);
  return list[0]!;
}

/** One analysis tick; then waits until web's agent routes with the weight the controller reached. */
async function step(): Promise<CanaryStatusView> {
  await mesh.server.canaries.tickAll();
  const s = await status();
  await mesh.untilConfig(web, (v) => {
    const route = v.snapshot?.services.find((x) => x.name === 'api')?.http?.at(-1)?.route;
    return route?.find((d) => d.destination.subset === 'api-canary')?.weight === s.canaryWeight;
  }, `web routes ${s.canaryWeight}% to the canary`);
  return s;
}

test.before(async () => {
  v1 = await new EchoApp('v1').listen('127.0.0.1');
  const port = v1.port;
  broken = http.createServer((_req, res) => res.writeHead(500, { 'x-app': 'v2' }).end('broken'));
  await new Promise<void>((r) => broken.listen(port, '127.0.0.6', () => r()));
  v3 = await new EchoApp('v3').listen('127.0.0.7', port);
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
  const hookPort = (hookServer.address() as { port: number }).port;
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API1, API2], spare: [API3], meshfile: CANARY(hookPort), canaryIntervalMs: 3_600_000 });
  const api1 = await mesh.agent(API1, ['--inbound', `${port}=${port}`]);
  const api2 = await mesh.agent(API2, ['--app-host', '127.0.0.6', '--inbound', `${port}=${port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${port}=0`]);
  await Promise.all([api1, api2, web].map((a) => mesh.ready(a)));
  await mesh.untilConfig(web, (v) => (v.snapshot?.services.find((s) => s.name === 'api')?.endpoints.filter((e) => e.meshed).length ?? 0) === 2, 'both api endpoints meshed');
});

test.after(async () => {
  keepAlive.destroy();
  await mesh?.close();
  await v1?.close();
  await v3?.close();
  broken?.closeAllConnections();
  broken?.close();
  hookServer.close();
});

test('before any tick: every request goes to the primary', async () => {
  const s = await status();
  assert.equal([s.phase, s.canaryWeight, s.canary.replicas, s.primary.replicas], ['Initialized', 0, 1, 1]);
  const meshStatus = mesh.server.status();
  assert.equal(meshStatus.canaries?.map((c) => [c.name, c.target, c.phase, c.canaryWeight]), [['api', 'api', 'Initialized', 0]]);
  assert.equal(await calls(20), { v1: 20 });
});

test('a failing canary: the first step sends it half the traffic, its 5xx fail the check, and it is rolled back', async () => {
  assert.equal((await step()).phase, 'Progressing', 'the canary replicas are a new revision');
  const s1 = await step();
  assert.equal([s1.phase, s1.canaryWeight], ['Progressing', 50]);
  const seen = await calls(60);
  assert.ok((seen['500'] ?? 0) >= 15 && (seen.v1 ?? 0) >= 15, JSON.stringify(seen));
  const s2 = await step();
  assert.equal([s2.phase, s2.canaryWeight, s2.failedChecks], ['Progressing', 50, 1]);
  assert.is(s2.checks[0]!.metric, 'request-success-rate');
  assert.ok(s2.checks[0]!.value! < 99 && !s2.checks[0]!.ok, JSON.stringify(s2.checks));
  assert.match(s2.message, /halt advancement: request-success-rate/);
  const s3 = await step();
  assert.equal([s3.phase, s3.canaryWeight], ['Failed', 0]);
  assert.equal(await calls(20), { v1: 20 });
  assert.equal(hooks.map((h) => [h.type, h.body.phase]), [['pre-rollout', 'Progressing'], ['post-rollout', 'Failed']]);
  assert.equal(hooks[0]!.body.metadata, { cmd: 'hey -z 1m http://api:8080/' });
  assert.equal([hooks[0]!.body.name, hooks[0]!.body.namespace], ['api', 'default']);
  assert.match(hooks[0]!.body.checksum, /^[0-9a-f]{16}$/);
});

test('a healthy new revision is analysed from the start and promoted: it ends with every request', async () => {
  const api3 = await mesh.agent(API3, ['--app-host', '127.0.0.7', '--inbound', `${v1.port}=${v1.port}`]);
  mesh.setWorkloads(['web', 'api-1', 'api-3']);
  await mesh.ready(api3);
  await mesh.untilConfig(web, (v) => v.snapshot?.services.find((s) => s.name === 'api')?.endpoints.some((e) => e.container === 'api-3' && e.meshed) ?? false, 'api-3 meshed');
  const s0 = await step();
  assert.equal([s0.phase, s0.canaryWeight, s0.failedChecks], ['Progressing', 0, 0]);
  assert.match(s0.message, /new revision detected/);
  assert.is((await step()).canaryWeight, 50);
  const seen = await calls(60);
  assert.ok((seen.v3 ?? 0) >= 15 && (seen.v1 ?? 0) >= 15, JSON.stringify(seen));
  const waiting = await step();
  assert.equal([waiting.phase, waiting.canaryWeight, waiting.checks.map((c) => [c.metric, c.value, c.ok])], ['WaitingPromotion', 50, [['request-success-rate', 100, true]]]);
  assert.match(waiting.message, /confirm-promotion/);
  await calls(10);
  promotionOpen = true;
  const s2 = await step();
  assert.is(s2.phase, 'Promoting');
  const s3 = await step();
  assert.equal([s3.phase, s3.canaryWeight, s3.primaryWeight], ['Succeeded', 100, 0]);
  assert.equal(await calls(20), { v3: 20 });
  assert.equal(hooks.slice(2).map((h) => [h.type, h.body.phase]), [['pre-rollout', 'Progressing'], ['confirm-promotion', 'Progressing'], ['confirm-promotion', 'Progressing'], ['post-rollout', 'Succeeded']]);
});

test('the canary replicas gone: back to Initialized, every request to the primary', async () => {
  mesh.setWorkloads(['web', 'api-1']);
  const s = await step();
  assert.equal([s.phase, s.canaryWeight, s.canary.replicas], ['Initialized', 0, 0]);
  assert.equal(await calls(10), { v1: 10 });
});

test.run();
