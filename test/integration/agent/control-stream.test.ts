import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { ControlStub, EchoApp, SnapshotFiles, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';

// A control server stub drives the client agent; two apps sit behind their own server agents.
let files: SnapshotFiles;
let control: ControlStub;
let apps: EchoApp[];
let servers: RunningAgent[];
let agent: RunningAgent;
let client: TestClient;

const CONTAINER = 'web-container-0123';
const TOKEN = 'bootstrap-token-xyz';

function webSnapshot(version: number, ends: number[]): AgentSnapshot {
  const eps = ends.map((i) => endpoint('api', `10.2.0.${i + 1}`, 8080, servers[i]!.ports.inbound[apps[i]!.port]));
  return snapshot(version, 'web', [service('api', [8080], eps)]);
}

test.before(async () => {
  files = new SnapshotFiles();
  client = new TestClient();
  control = await new ControlStub().listen();
  apps = await Promise.all([new EchoApp('a').listen(), new EchoApp('b').listen()]);
  servers = [];
  for (const app of apps) {
    servers.push(await startAgent(['--snapshot', files.write(snapshot(1, 'api', [])), '--inbound', `${app.port}=0`]));
  }
  agent = await startAgent(['--outbound', 'api:8080=0', '--inbound', '18080=0'], {
    DOCKMESH_CONTROL_URL: control.url,
    DOCKMESH_CONTAINER: CONTAINER,
    DOCKMESH_TOKEN: TOKEN,
  });
});

test.after(async () => {
  await client.close();
  await Promise.all([agent, ...servers].filter(Boolean).map((a) => a.stop()));
  await Promise.all(apps.map((a) => a.close()));
  await control.close();
  files.cleanup();
});

const api = () => agent.ports.outbound['api:8080']!;

async function spread(n: number): Promise<number[]> {
  const before = apps.map((a) => a.seen.length);
  for (let i = 0; i < n; i++) assert.is((await client.get(api(), '/', { host: 'api' })).status, 200);
  return apps.map((a, i) => a.seen.length - before[i]!);
}

test('not ready before the first snapshot; reports carry the token, ports and admin address', async () => {
  const ready = await client.get(agent.ports.admin, '/ready');
  assert.is(ready.status, 503);
  assert.match(ready.text, /no snapshot/);
  const r = await waitFor(() => control.reports[0], 5000, 'first report');
  assert.is(r.container, CONTAINER);
  assert.is(r.auth, `Bearer ${TOKEN}`);
  assert.equal(r.ports, [18080]);
  assert.is(r.ready, false);
  assert.is(r.admin, `127.0.0.1:${agent.ports.admin}`);
  await waitFor(() => control.streams.length === 1, 5000, 'stream open');
});

test('a pushed snapshot is ACKed with its version and routes to both endpoints', async () => {
  control.push(webSnapshot(1, [0, 1]));
  const ack = await waitFor(() => control.acks.find((a) => a.version === 1), 5000, 'ACK 1');
  assert.is(ack.ok, true);
  assert.is(ack.auth, `Bearer ${TOKEN}`);
  assert.is(ack.container, CONTAINER);
  assert.is((await client.get(agent.ports.admin, '/ready')).status, 200);
  await waitFor(() => control.reports.some((r) => r.ready && r.configVersion === 1), 5000, 'ready report');
  assert.equal(await spread(4), [2, 2]);
});

test('a new snapshot that drops an endpoint changes routing', async () => {
  control.push(webSnapshot(2, [0]));
  await waitFor(() => control.acks.find((a) => a.version === 2 && a.ok), 5000, 'ACK 2');
  assert.equal(await spread(4), [4, 0]);
  assert.is((await client.json(agent.ports.admin, '/config')).version, 2);
});

test('an invalid snapshot is NACKed with a reason and the old one stays in force', async () => {
  const bad: any = webSnapshot(3, [1]);
  bad.services[0].endpoints[0].address = 'not-an-ip';
  control.push(bad);
  const nack = await waitFor(() => control.acks.find((a) => a.version === 3), 5000, 'NACK 3');
  assert.is(nack.ok, false);
  assert.match(nack.error!, /address/);
  const config = await client.json(agent.ports.admin, '/config');
  assert.is(config.version, 2);
  assert.match(config.lastError, /version 3/);
  assert.equal(await spread(2), [2, 0]);
});

test('a dropped stream is reopened and the full snapshot ACKed again', async () => {
  control.push(webSnapshot(4, [0, 1]));
  await waitFor(() => control.acks.find((a) => a.version === 4 && a.ok), 5000, 'ACK 4');
  const opened = control.streamRequests;
  const acks = control.acks.length;
  control.dropStreams();
  await waitFor(() => control.streamRequests > opened && control.acks.length > acks, 10_000, 'reconnect and re-ACK');
  assert.is(control.acks.at(-1)!.version, 4);
  assert.equal(await spread(2), [1, 1]);
});

test.run();
