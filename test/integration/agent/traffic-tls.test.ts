/**
 * VirtualService `tls` routes end to end through one agent process on loopback: opaque TLS (the
 * agent does not terminate it) routed by the server name of the client's ClientHello, real TLS
 * clients and servers on both sides; connections no TLS route matches take the TCP routes.
 */
import { once } from 'node:events';
import { connect as netConnect, createServer as netServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsServer, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { SnapshotFiles, startAgent, type RunningAgent } from './agent-harness.ts';
import { accessLog, trafficService } from './traffic-harness.ts';

let files: SnapshotFiles;
let agent: RunningAgent;
const servers: Server[] = [];
const open = new Set<Socket>();
/** The v1 and v2 servers' ports (an endpoint's `upstream` in the access log is where the agent dialled). */
let ports: { v1: number; v2: number };

/** A TLS server (its own self-signed certificate) that answers every connection with its name. */
async function tlsGreeter(name: string, key: string, cert: string): Promise<number> {
  const s = tlsServer({ key, cert }, (c) => {
    c.on('error', () => {});
    c.end(`${name}\n`);
  });
  s.on('connection', (c: Socket) => {
    open.add(c);
    c.on('close', () => open.delete(c));
  });
  servers.push(s);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

const ep = (name: string, address: string, port: number, version: string) => ({
  container: name, workload: 'secure', address, port: 8443, dial: { address: '127.0.0.1', port }, meshed: false, labels: { version },
});
const to = (subset: string) => [{ destination: { service: 'secure', namespace: 'default', subset }, weight: 100 }];

test.before(async () => {
  files = new SnapshotFiles();
  const pems = await generate([{ name: 'commonName', value: 'secure' }], { keySize: 2048 });
  const [a, b] = [await tlsGreeter('v1', pems.private, pems.cert), await tlsGreeter('v2', pems.private, pems.cert)];
  ports = { v1: a, v2: b };
  const secure = trafficService('secure', 8443, [ep('secure-1', '10.7.0.1', a, 'v1'), ep('secure-2', '10.7.0.2', b, 'v2')], {
    subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    tls: [{ match: [{ sniHosts: ['secure'], port: 8443 }], route: to('v2') }],
    tcp: [{ match: [], route: to('v1') }],
  });
  agent = await startAgent(['--snapshot', files.write(snapshot(1, 'web', [secure])), '--outbound', 'secure:8443=0']);
});

test.after(async () => {
  for (const s of open) s.destroy();
  await agent?.stop();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  files.cleanup();
});

const agentPort = () => agent.ports.outbound['secure:8443']!;

/** A TLS handshake through `port` with `servername` ('' sends none); the server's greeting. */
async function hello(port: number, servername: string): Promise<string> {
  const c: TLSSocket = tlsConnect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false });
  let data = '';
  c.on('data', (d: Buffer) => (data += d.toString()));
  await once(c, 'close');
  return data.trim();
}

test('the ClientHello names a host of a TLS route: its destination (subset v2), TLS end to end', async () => {
  assert.is(await hello(agentPort(), 'secure'), 'v2');
  assert.is(await hello(agentPort(), 'SECURE'), 'v2', 'server names are case-insensitive');
});

test('no TLS route matches (another name, no name): the TCP route (subset v1)', async () => {
  assert.is(await hello(agentPort(), 'other'), 'v1');
  assert.is(await hello(agentPort(), ''), 'v1');
});

test('plaintext on the port: the TCP route', async () => {
  const s = netConnect(agentPort(), '127.0.0.1');
  s.on('error', () => {});
  s.write('PING\r\n');
  const closed = once(s, 'close');
  s.end();
  await closed;
  const line = await waitFor(() => accessLog(agent).find((e) => e.protocol === 'tcp' && e.bytes_received === 6), 5000, 'the access log line');
  assert.is(line.upstream, `127.0.0.1:${ports.v1}`);
  assert.is(line.requested_server_name, undefined);
});

test('a ClientHello that arrives in two pieces is waited for, then routed by its name', async () => {
  // A relay that passes the client's first bytes on in two writes 150 ms apart.
  const relay = netServer((down) => {
    const up = netConnect(agentPort(), '127.0.0.1');
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
    let first = true;
    down.on('data', (d: Buffer) => {
      if (!first) return void up.write(d);
      first = false;
      up.write(d.subarray(0, 7));
      setTimeout(() => up.write(d.subarray(7)), 150);
    });
    down.on('end', () => up.end());
    up.pipe(down);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  try {
    assert.is(await hello((relay.address() as AddressInfo).port, 'secure'), 'v2');
  } finally {
    relay.close();
  }
});

test('the access log line of a TLS-routed connection carries requested_server_name', async () => {
  await hello(agentPort(), 'secure');
  const line = await waitFor(() => accessLog(agent).find((e) => e.requested_server_name === 'secure'), 5000, 'a line with requested_server_name');
  assert.is(line.protocol, 'tcp');
  assert.is(line.upstream, `127.0.0.1:${ports.v2}`);
  assert.is(line.response_flags, '-');
});

test.run();
