/**
 * Opaque TCP routes (weighted over subsets), the TCP connection limit, PASSTHROUGH balancing to
 * the replica a client addressed by IP, and the TCP byte counts of a connection reported while it is
 * open (Telemetry reportingInterval), through one agent process on loopback.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { metricValue, SnapshotFiles, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';
import { appEndpoint, Client, ScriptedApp, trafficService } from './traffic-harness.ts';

let files: SnapshotFiles;
let agent: RunningAgent;
let admin: TestClient;
let client: Client;
const tcpServers: Server[] = [];
const open = new Set<Socket>();
const apps: ScriptedApp[] = [];

/** A TCP server that greets with its name, then echoes. */
async function greeter(name: string): Promise<number> {
  const s = createServer((c) => {
    open.add(c);
    c.on('close', () => open.delete(c));
    c.on('error', () => {});
    c.write(`${name}\n`);
    c.on('data', (d) => c.write(d));
  });
  tcpServers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

const tcpEp = (name: string, address: string, port: number, labels: Record<string, string>, servicePort = 5432) => ({
  container: name, workload: 'db', address, port: servicePort, dial: { address: '127.0.0.1', port }, meshed: false, labels,
});

test.before(async () => {
  files = new SnapshotFiles();
  admin = new TestClient();
  client = new Client();
  const [a, b] = [await greeter('db-a'), await greeter('db-b')];
  const db = trafficService('db', 5432, [tcpEp('db-a', '10.6.0.1', a, { version: 'a' }), tcpEp('db-b', '10.6.0.2', b, { version: 'b' })], {
    subsets: [{ name: 'a', labels: { version: 'a' } }, { name: 'b', labels: { version: 'b' } }],
    tcp: [{ match: [{ port: 5432 }], route: [{ destination: { service: 'db', namespace: 'default', subset: 'a' }, weight: 75 }, { destination: { service: 'db', namespace: 'default', subset: 'b' }, weight: 25 }] }],
  });
  const single = trafficService('single', 6379, [tcpEp('single', '10.6.0.3', a, {}, 6379)], { policy: { connectionPool: { tcp: { maxConnections: 2 } } } });
  for (const n of ['pt-1', 'pt-2', 'pt-3']) apps.push(await new ScriptedApp(n).listen());
  const pt = trafficService('pt', 8080, apps.map((app, i) => appEndpoint(app, `10.6.1.${i + 1}`, 8080)), { policy: { loadBalancer: { simple: 'PASSTHROUGH' } } });
  const snap = snapshot(1, 'web', [db, single, pt]);
  // Telemetry `metrics[].reportingInterval: 200ms`: open connections' bytes every 200 ms.
  snap.mesh.metrics = { tcpReportingIntervalMs: 200 };
  agent = await startAgent(['--snapshot', files.write(snap), '--outbound', 'db:5432=0', '--outbound', 'single:6379=0', '--outbound', 'pt:8080=0']);
});

test.after(async () => {
  for (const s of open) s.destroy();
  await admin.close();
  await client.close();
  await agent?.stop();
  await Promise.all([...tcpServers.map((s) => new Promise((r) => s.close(r))), ...apps.map((a) => a.close())]);
  files.cleanup();
});

/** Opens a connection through the agent and reads the greeting; null when the agent closes it. */
function greet(port: number, keep = false): Promise<{ name: string | null; socket: Socket }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) {
        if (!keep) s.end();
        resolve({ name: data.trim(), socket: s });
      }
    });
    s.on('close', () => resolve({ name: data ? data.trim() : null, socket: s }));
    // Server-first protocol: the agent decides after its sniff timeout that this is opaque TCP.
  });
}

test('TCP route: 75/25 over subsets, within ± 12% over 200 connections', async () => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 200; i += 20) {
    const rs = await Promise.all(Array.from({ length: 20 }, () => greet(agent.ports.outbound['db:5432']!)));
    for (const r of rs) counts[r.name ?? 'none'] = (counts[r.name ?? 'none'] ?? 0) + 1;
  }
  assert.is((counts['db-a'] ?? 0) + (counts['db-b'] ?? 0), 200);
  assert.ok(counts['db-a']! >= 126 && counts['db-a']! <= 174, JSON.stringify(counts));
});

test('TCP maxConnections 2: the third concurrent connection is closed (flag UO)', async () => {
  const port = agent.ports.outbound['single:6379']!;
  const one = await greet(port, true);
  const two = await greet(port, true);
  assert.is(one.name, 'db-a');
  assert.is(two.name, 'db-a');
  const three = await greet(port);
  assert.is(three.name, null);
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'istio_tcp_connections_closed_total', { destination_service_name: 'single', response_flags: 'UO' }), 1);
  one.socket.destroy();
  two.socket.destroy();
  await waitFor(async () => (await greet(port)).name === 'db-a', 3000, 'a slot free again');
});

test('a long-lived TCP connection: its bytes are reported while it is open, and counted once when it closes', async () => {
  const bytes = async (name: string) => metricValue((await admin.get(agent.ports.admin, '/metrics')).text, name, { destination_service_name: 'db' });
  const closed = await bytes('istio_tcp_connections_closed_total');
  const [sent0, received0] = [await bytes('istio_tcp_sent_bytes_total'), await bytes('istio_tcp_received_bytes_total')];
  const { socket } = await greet(agent.ports.outbound['db:5432']!, true);
  let echoed = 0;
  socket.on('data', (d) => (echoed += d.length));
  socket.write('x'.repeat(1000));
  await waitFor(() => echoed >= 1000, 3000, 'the echo');
  // Still open: the bytes show within a reporting interval or two.
  await waitFor(async () => (await bytes('istio_tcp_received_bytes_total')) === received0 + 1000, 3000, 'received bytes reported while open');
  await waitFor(async () => (await bytes('istio_tcp_sent_bytes_total')) === sent0 + 1005, 3000, 'sent bytes (greeting + echo) reported while open');
  assert.is(await bytes('istio_tcp_connections_closed_total'), closed, 'the connection is still open');
  socket.end();
  await waitFor(async () => (await bytes('istio_tcp_connections_closed_total')) === closed + 1, 3000, 'the close');
  assert.is(await bytes('istio_tcp_received_bytes_total'), received0 + 1000, 'not counted twice');
  assert.is(await bytes('istio_tcp_sent_bytes_total'), sent0 + 1005);
});

test('PASSTHROUGH: a request addressed to a replica IP goes to that replica', async () => {
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 5; k++) {
      const r = await client.send(agent.ports.outbound['pt:8080']!, '/pt', { host: `10.6.1.${i + 1}:8080` });
      assert.is(r.headers['x-app'], `pt-${i + 1}`);
    }
  }
});

test.run();
