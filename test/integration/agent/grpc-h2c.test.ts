/**
 * HTTP/2 cleartext and gRPC through a client agent and a server agent: status, trailers, messages
 * and the default retry on gRPC UNAVAILABLE, plus a gRPC fault abort.
 */
import { connect, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { SnapshotFiles, startAgent, type RunningAgent } from './agent-harness.ts';
import { logEntry } from './traffic-harness.ts';

let files: SnapshotFiles;
let server: Http2Server;
let serverAgent: RunningAgent;
let clientAgent: RunningAgent;
const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
let flaky = 0;

/** A gRPC message frame: flag 0, 4-byte big-endian length, payload. */
const frame = (text: string) => {
  const b = Buffer.from(text);
  const out = Buffer.alloc(5 + b.length);
  out.writeUInt32BE(b.length, 1);
  b.copy(out, 5);
  return out;
};

function grpcApp(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const path = String(headers[':path']);
  seen.push({ path, headers });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const req = Buffer.concat(chunks).subarray(5).toString();
    if (path === '/echo.Echo/Missing') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'no such thing' }, { endStream: true });
      return;
    }
    if (path === '/echo.Echo/Flaky' && flaky++ === 0) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'try again' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(path === '/echo.Echo/Fail' ? { 'grpc-status': '13', 'grpc-message': 'boom' } : { 'grpc-status': '0', 'x-trailer': 'kept' }));
    stream.write(frame(`hello ${req}`));
    stream.end(frame('second message'));
  });
}

interface GrpcResult { headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; messages: string[] }

function call(port: number, method: string, text: string, id: string): Promise<GrpcResult> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': `/echo.Echo/${method}`, ':authority': 'grpc:50051', 'content-type': 'application/grpc', te: 'trailers', 'x-request-id': id });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => data.push(d));
    req.on('end', () => {
      session.close();
      const buf = Buffer.concat(data);
      const messages: string[] = [];
      for (let at = 0; at + 5 <= buf.length;) {
        const n = buf.readUInt32BE(at + 1);
        messages.push(buf.subarray(at + 5, at + 5 + n).toString());
        at += 5 + n;
      }
      resolve({ headers, trailers, messages });
    });
    req.on('error', reject);
    req.end(frame(text));
  });
}

test.before(async () => {
  files = new SnapshotFiles();
  server = createServer();
  server.on('stream', grpcApp);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const appPort = (server.address() as AddressInfo).port;
  serverAgent = await startAgent(['--snapshot', files.write(snapshot(1, 'grpc', [])), '--inbound', `${appPort}=0`]);
  const grpc = {
    name: 'grpc', namespace: 'default', hosts: ['grpc'], ports: [50051],
    endpoints: [{ container: 'g1', workload: 'grpc', address: '10.7.0.1', port: 50051, dial: { address: '127.0.0.1', port: serverAgent.ports.inbound[appPort]! }, meshed: true, labels: {} }],
    http: [
      { match: [{ uri: { exact: '/echo.Echo/Faulty' } }], route: [{ destination: { service: 'grpc', namespace: 'default' }, weight: 100 }], fault: { abort: { grpcStatus: 'UNAVAILABLE', percent: 100 } } },
      { match: [], route: [{ destination: { service: 'grpc', namespace: 'default' }, weight: 100 }], retries: { attempts: 2, retryOn: ['unavailable'] } },
    ],
  };
  clientAgent = await startAgent(['--snapshot', files.write(snapshot(1, 'web', [grpc])), '--outbound', 'grpc:50051=0']);
});

test.after(async () => {
  await Promise.all([clientAgent, serverAgent].filter(Boolean).map((a) => a.stop()));
  await new Promise((r) => server.close(r));
  files.cleanup();
});

const port = () => clientAgent.ports.outbound['grpc:50051']!;

test('gRPC over h2c through two agents: messages, grpc-status and trailers kept', async () => {
  const r = await call(port(), 'Say', 'world', 'g-1');
  assert.is(r.headers[':status'], 200);
  assert.is(r.headers['content-type'], 'application/grpc');
  assert.equal(r.messages, ['hello world', 'second message']);
  assert.is(r.trailers['grpc-status'], '0');
  assert.is(r.trailers['x-trailer'], 'kept');
  const hit = seen.find((s) => s.path === '/echo.Echo/Say')!;
  assert.is(hit.headers.te, 'trailers');
  assert.is(hit.headers['x-request-id'], 'g-1');
  assert.equal(Object.keys(hit.headers).filter((h) => h.startsWith('x-dockmesh-')), [], 'identity headers stop at the server agent');
  const e = await logEntry(clientAgent, 'g-1');
  assert.is(e.status, 200);
  assert.is(e.destination_service, 'grpc');
  const inbound = await logEntry(serverAgent, 'g-1');
  // Plaintext between these agents: the peer's identity headers are not trusted (mTLS carries identity).
  assert.is(inbound.source_service, 'unknown');
});

test('gRPC errors: trailers-only status and an error status in trailers pass through', async () => {
  const missing = await call(port(), 'Missing', 'x', 'g-2');
  assert.is(missing.headers['grpc-status'], '5');
  assert.is(missing.headers['grpc-message'], 'no such thing');
  const fail = await call(port(), 'Fail', 'x', 'g-3');
  assert.is(fail.trailers['grpc-status'], '13');
  assert.is(fail.trailers['grpc-message'], 'boom');
});

test('gRPC UNAVAILABLE is retried (retryOn unavailable)', async () => {
  const r = await call(port(), 'Flaky', 'again', 'g-4');
  assert.is(r.trailers['grpc-status'], '0');
  assert.equal(r.messages, ['hello again', 'second message']);
  assert.is((await logEntry(clientAgent, 'g-4')).attempts, 2);
});

test('gRPC fault abort: trailers-only UNAVAILABLE from the agent, flag FI', async () => {
  const r = await call(port(), 'Faulty', 'x', 'g-5');
  assert.is(r.headers['grpc-status'], '14');
  assert.is((await logEntry(clientAgent, 'g-5')).response_flags, 'FI');
  assert.not.ok(seen.some((s) => s.path === '/echo.Echo/Faulty'));
});

test.run();
