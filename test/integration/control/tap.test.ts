/**
 * Tap end to end on loopback (mesh-harness.ts): the control server's GET /v1/tap streams the live
 * requests of a service's real agents, filtered, bounded; an agent's admin /tap answers only the
 * control server's key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { EchoApp, type RunningAgent } from '../agent/agent-harness.ts';
import { LoopbackMesh, type MeshWorkload } from '../agent/mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API: MeshWorkload = { name: 'api', address: '127.0.0.3' };

let mesh: LoopbackMesh;
let app: EchoApp;
let web: RunningAgent;
let api: RunningAgent;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 2 });

function get(path: string, method = 'GET'): Promise<number> {
  const port = Object.values(web.ports.outbound)[0]!;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: WEB.address, port, path, method, headers: { host: 'api' }, agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a tap, then sends traffic until the tap ends; returns its events. */
async function tapWhile(query: string, traffic: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${mesh.url}/v1/tap?${query}`, { headers: { authorization: 'Bearer cli-token' } });
  assert.is(res.status, 200);
  const events: Array<Record<string, unknown>> = [];
  let over = false;
  const reading = (async () => {
    const text = await res.text();
    over = true;
    for (const line of text.split('\n')) if (line) events.push(JSON.parse(line));
  })();
  // The tap is open once the response started; give the agents' streams a moment to attach.
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 200 && !over; i++) await traffic();
  await reading;
  return events;
}

test.before(async () => {
  app = await new EchoApp('api').listen('127.0.0.1');
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API] });
  api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`, '--access-log', 'off']);
  web = await mesh.agent(WEB, ['--outbound', `api:${app.port}=0`, '--access-log', 'off']);
  await Promise.all([api, web].map((a) => mesh.ready(a)));
});

test.after(async () => {
  keepAlive.destroy();
  await mesh?.close();
  await app?.close();
});

test('a service\'s agents stream their requests (access log off): inbound on api, bounded by max', async () => {
  let i = 0;
  const events = await tapWhile('service=api&max=5', () => get(`/orders/${i++}`));
  assert.is(events.length, 5);
  for (const e of events) {
    assert.is(e.agent, 'proj-api');
    assert.is(e.direction, 'inbound');
    assert.is(e.method, 'GET');
    assert.match(String(e.path), /^\/orders\/\d+$/);
    assert.is(e.status, 200);
    assert.is(e.source_service, 'web');
    assert.is(e.destination_service, 'api');
    assert.ok(typeof e.duration_ms === 'number');
  }
});

test('filters: method and path prefix; a tap on web sees its outbound side', async () => {
  let i = 0;
  const events = await tapWhile('service=web&method=post&path=/pay&max=3', () => (i++ % 2 ? get(`/payments/${i}`, 'POST') : get(`/orders/${i}`, 'POST')));
  assert.is(events.length, 3);
  assert.ok(events.every((e) => e.method === 'POST' && String(e.path).startsWith('/pay') && e.direction === 'outbound' && e.agent === 'proj-web'));
});

test('the tap ends after durationMs even without traffic', async () => {
  const t0 = Date.now();
  const res = await fetch(`${mesh.url}/v1/tap?service=api&durationMs=300`, { headers: { authorization: 'Bearer cli-token' } });
  assert.is(await res.text(), '');
  assert.ok(Date.now() - t0 < 5000);
});

test('bad requests: no service, an unknown one, no API token', async () => {
  const auth = { authorization: 'Bearer cli-token' };
  assert.is((await fetch(`${mesh.url}/v1/tap`, { headers: auth })).status, 400);
  assert.is((await fetch(`${mesh.url}/v1/tap?service=nope`, { headers: auth })).status, 404);
  assert.is((await fetch(`${mesh.url}/v1/tap?service=api`)).status, 401);
});

test('an agent\'s admin /tap refuses anyone without the control server\'s key; /config shows only its hash', async () => {
  assert.is((await mesh.admin(api, '/tap')).status, 401);
  const r = await fetch(`http://${API.address}:${api.ports.admin}/tap`, { headers: { authorization: 'Bearer cli-token' } });
  assert.is(r.status, 401);
  const config = JSON.parse((await mesh.admin(api, '/config')).text);
  assert.match(config.snapshot.mesh.tapKeyHash, /^[0-9a-f]{64}$/);
});

test.run();
