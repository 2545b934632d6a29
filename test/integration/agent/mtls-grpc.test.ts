/**
 * gRPC over mTLS between two agents with fixed identities (`--identity-dir`, leaves from a local
 * CA): the client agent's HTTP/2 pool negotiates h2 by ALPN, the server agent terminates TLS, sniffs
 * the HTTP/2 preface in the decrypted stream and forwards h2c to the app, with the verified peer
 * recorded (XFCC, mutual_tls metrics). Also checks secure naming on a pool: an endpoint whose agent
 * presents another service's identity is never reached.
 */
import { connect, createServer, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeBenchIdentities } from '../../../bench/targets/bench-identities.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { connect as tcpConnect } from 'node:net';
import { metricValue, SnapshotFiles, startAgent, TcpEcho, type RunningAgent } from './agent-harness.ts';

let files: SnapshotFiles;
let dir: string;
let app: Http2Server;
let appPort = 0;
let echo: TcpEcho;
const agents: RunningAgent[] = [];
const seen: IncomingHttpHeaders[] = [];

function call(port: number, authority: string): Promise<{ status: number; grpcStatus: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': '/echo.Echo/Say', ':authority': authority, 'content-type': 'application/grpc', te: 'trailers' });
    let status = 0;
    let grpcStatus: string | undefined;
    let body = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
      grpcStatus ??= h['grpc-status'] as string | undefined;
    });
    req.on('trailers', (t) => (grpcStatus = t['grpc-status'] as string));
    req.on('data', (d: Buffer) => (body += d.subarray(5).toString()));
    req.on('end', () => {
      session.close();
      resolve({ status, grpcStatus, body });
    });
    req.on('error', reject);
    req.end(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]));
  });
}

test.before(async () => {
  files = new SnapshotFiles();
  dir = mkdtempSync(join(tmpdir(), 'dm-grpc-mtls-'));
  const ids = await writeBenchIdentities(dir, ['grpc', 'web', 'other']);
  app = createServer();
  app.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]));
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  appPort = (app.address() as AddressInfo).port;
  echo = await new TcpEcho().listen();
  const server = await startAgent(['--snapshot', files.write(snapshot(1, 'grpc', [])), '--inbound', `${appPort}=0`, '--inbound', `${echo.port}=0`, '--identity-dir', ids.grpc!]);
  // An agent in front of the same app that presents another service's identity.
  const impostor = await startAgent(['--snapshot', files.write(snapshot(1, 'other', [])), '--inbound', `${appPort}=0`, '--identity-dir', ids.other!]);
  agents.push(server, impostor);
  const service = (name: string, agent: RunningAgent) => ({
    name, namespace: 'default', hosts: [name], ports: [50051, 7000],
    endpoints: [
      { container: `${name}1`, workload: name, address: '10.7.0.1', port: 50051, dial: { address: '127.0.0.1', port: agent.ports.inbound[appPort]! }, meshed: true, labels: {} },
      ...(agent.ports.inbound[echo.port] ? [{ container: `${name}1`, workload: name, address: '10.7.0.1', port: 7000, dial: { address: '127.0.0.1', port: agent.ports.inbound[echo.port]! }, meshed: true, labels: {} }] : []),
    ],
  });
  // "fake" claims to be a service whose replica is the impostor's agent: secure naming must refuse it.
  const client = await startAgent(['--snapshot', files.write(snapshot(1, 'web', [service('grpc', server), service('fake', impostor)])), '--outbound', 'grpc:50051=0', '--outbound', 'grpc:7000=0', '--identity-dir', ids.web!]);
  agents.push(client);
});

test.after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await new Promise((r) => app.close(r));
  await echo.close();
  files.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('gRPC over mTLS: h2 by ALPN between the agents, XFCC and mutual_tls at the server agent', async () => {
  const [server, , client] = agents;
  const r = await call(client!.ports.outbound['grpc:50051']!, 'grpc:50051');
  assert.is(r.status, 200);
  assert.is(r.grpcStatus, '0');
  assert.is(r.body, 'hello');
  assert.match(String(seen.at(-1)!['x-forwarded-client-cert']), /URI=spiffe:\/\/cluster.local\/ns\/default\/sa\/web$/);
  const m = await (await fetch(`http://127.0.0.1:${server!.ports.admin}/metrics`)).text();
  assert.ok(metricValue(m, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'mutual_tls', source_principal: 'spiffe://cluster.local/ns/default/sa/web', request_protocol: 'http' }) >= 1);
  assert.is(metricValue(m, 'dockmesh_tls_handshakes_total', { direction: 'inbound' }), 1, 'one h2 connection');
});

test('secure naming: an endpoint whose agent presents another identity gets no request', async () => {
  const client = agents[2]!;
  const before = seen.length;
  const r = await call(client.ports.outbound['grpc:50051']!, 'fake:50051');
  assert.is(r.status, 503);
  assert.is(seen.length, before, 'the app behind the impostor saw nothing');
  const m = await (await fetch(`http://127.0.0.1:${client.ports.admin}/metrics`)).text();
  assert.ok(metricValue(m, 'istio_requests_total', { destination_service_name: 'fake', response_code: '503' }) >= 1);
});

test('opaque TCP over mTLS: no ALPN, the server agent pipes the decrypted bytes to the app', async () => {
  const [server, , client] = agents;
  const text = await new Promise<string>((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port: client!.ports.outbound['grpc:7000']! }, () => s.write('\x00\x01binary hello'));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= 14) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
  assert.is(text, '\x00\x01binary hello');
  const m = await (await fetch(`http://127.0.0.1:${server!.ports.admin}/metrics`)).text();
  assert.ok(metricValue(m, 'istio_tcp_connections_opened_total', { reporter: 'destination', connection_security_policy: 'mutual_tls', source_principal: 'spiffe://cluster.local/ns/default/sa/web' }) >= 1);
});

test.run();
