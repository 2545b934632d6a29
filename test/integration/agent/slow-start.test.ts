/**
 * DestinationRule `loadBalancer.warmup` end to end through one agent driven by a control server
 * stub: an endpoint that joins the cluster gets its floor share (10%) while it warms up, under
 * ROUND_ROBIN and LEAST_REQUEST; without warmup it gets its full share at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentSnapshot, TrafficPolicySnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { ControlStub, startAgent, type RunningAgent } from './agent-harness.ts';
import { appEndpoint, Client, ScriptedApp, trafficService } from './traffic-harness.ts';

let control: ControlStub;
let agent: RunningAgent;
let client: Client;
let old: ScriptedApp;
let fresh: ScriptedApp;

/**
 * A 4 s window with a slow curve ((age / 4 s)^10): a joining endpoint stays at the 10% floor for
 * its first 3.1 s, which a hundred requests on loopback take a small part of. Endpoints that were
 * there when the cluster was made warm up too (Envoy's hosts start at their creation), so the test
 * first lets the old endpoint age past the window.
 */
const warmup = { durationMs: 4000, minimumPercent: 10, aggression: 0.1 };

function version(v: number, withNew: boolean, policy: TrafficPolicySnapshot): AgentSnapshot {
  const eps = [appEndpoint(old, '10.6.0.1', 8080), ...(withNew ? [appEndpoint(fresh, '10.6.0.2', 8080)] : [])];
  return snapshot(v, 'web', [trafficService('warm', 8080, eps, { policy })]);
}

async function push(s: AgentSnapshot): Promise<void> {
  control.push(s);
  await waitFor(() => control.acks.find((a) => a.version === s.version && a.ok), 5000, `ACK ${s.version}`);
}

/** Sends `n` requests one after another; how many the new endpoint answered. */
async function toNew(n: number): Promise<number> {
  const before = fresh.hits.length;
  for (let i = 0; i < n; i++) assert.is((await client.send(agent.ports.outbound['warm:8080']!, '/', { host: 'warm' })).status, 200);
  return fresh.hits.length - before;
}

test.before(async () => {
  client = new Client();
  [old, fresh] = await Promise.all([new ScriptedApp('old').listen(), new ScriptedApp('new').listen()]);
  control = await new ControlStub().listen();
  agent = await startAgent(['--outbound', 'warm:8080=0'], { DOCKMESH_CONTROL_URL: control.url, DOCKMESH_CONTAINER: 'web-slow-start', DOCKMESH_TOKEN: 't' });
  await waitFor(() => control.streams.length === 1, 5000, 'stream open');
});

test.after(async () => {
  await client.close();
  await agent?.stop();
  await control?.close();
  await Promise.all([old, fresh].filter(Boolean).map((a) => a.close()));
});

const rr: TrafficPolicySnapshot = { loadBalancer: { simple: 'ROUND_ROBIN', warmup } };

test('ROUND_ROBIN with warmup: a joining endpoint gets 1 of every 11 requests at first, then its full share', async () => {
  await push(version(1, false, rr));
  assert.is(await toNew(5), 0);
  await new Promise((r) => setTimeout(r, warmup.durationMs + 200));
  await push(version(2, true, rr));
  const t0 = performance.now();
  assert.is(await toNew(110), 10);
  assert.ok(performance.now() - t0 < 3000, 'measured within the floor phase');
  await new Promise((r) => setTimeout(r, warmup.durationMs + 200 - (performance.now() - t0)));
  assert.is(await toNew(100), 50, 'warmed up');
});

test('LEAST_REQUEST (Istio\'s default) with warmup: the same floor share; an endpoint that leaves and comes back warms up again', async () => {
  await push(version(3, false, { loadBalancer: { warmup } }));
  await push(version(4, true, { loadBalancer: { warmup } }));
  assert.is(await toNew(110), 10);
});

test('without warmup a joining endpoint gets its full share at once', async () => {
  await push(version(5, false, { loadBalancer: { simple: 'ROUND_ROBIN' } }));
  await push(version(6, true, { loadBalancer: { simple: 'ROUND_ROBIN' } }));
  assert.is(await toNew(100), 50);
});

test.run();
