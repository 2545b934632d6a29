/**
 * Upstreams that misbehave: reset after the response headers, reset before them, never answer,
 * answer one byte at a time, close keep-alive connections at random. The agent must not crash,
 * must answer with the right status and flag, and must not leak sockets (fd count back to where it
 * was once the upstreams are gone).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EndpointSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { SnapshotFiles, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';
import { accessLog, Client, fdCount, logEntry, trafficService } from './traffic-harness.ts';

let files: SnapshotFiles;
let agent: RunningAgent;
let client: Client;
let admin: TestClient;
let fdBefore = 0;
const servers: Array<Server | HttpServer> = [];
const sockets = new Set<Socket>();

/** Connections of the silent upstream that carry a request (idle pre-connected ones do not count). */
const silentSockets = new Set<Socket>();

/** A raw TCP server that reads one request head and then runs `onRequest` on the socket. */
async function raw(onRequest: (s: Socket) => void, track?: Set<Socket>): Promise<number> {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      track?.delete(s);
    });
    s.on('error', () => {});
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        head = '';
        track?.add(s);
        onRequest(s);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const ep = (name: string, address: string, port: number): EndpointSnapshot => ({
  container: name, workload: name, address, port: 8080, dial: { address: '127.0.0.1', port }, meshed: false, labels: {},
});

test.before(async () => {
  files = new SnapshotFiles();
  client = new Client();
  admin = new TestClient();
  const resetAfter = await raw((s) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\nabc');
    setTimeout(() => s.resetAndDestroy(), 20);
  });
  const resetBefore = await raw((s) => s.resetAndDestroy());
  const silent = await raw(() => {}, silentSockets);
  const dribble = await raw((s) => {
    const body = 'the quick brown fox jumps over the dog';
    s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
    let i = 0;
    const t = setInterval(() => {
      if (s.destroyed) return clearInterval(t);
      s.write(body[i++]!);
      if (i === body.length) clearInterval(t);
    }, 5);
  });
  let n = 0;
  const closer = createHttpServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
      // Every third response, the server closes the keep-alive connection right after it.
      if (++n % 3 === 0) setImmediate(() => req.socket.destroy());
    });
  });
  closer.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.push(closer);
  await new Promise<void>((r) => closer.listen(0, '127.0.0.1', () => r()));
  const closerPort = (closer.address() as AddressInfo).port;
  const services = [
    trafficService('reset-after', 8080, [ep('reset-after', '10.5.0.1', resetAfter)]),
    trafficService('reset-before', 8080, [ep('reset-before', '10.5.0.2', resetBefore)]),
    trafficService('silent', 8080, [ep('silent', '10.5.0.3', silent)]),
    trafficService('silent-timeout', 8080, [ep('silent-timeout', '10.5.0.4', silent)], {
      http: [{ match: [], route: [{ destination: { service: 'silent-timeout', namespace: 'default' }, weight: 100 }], timeoutMs: 200, retries: { attempts: 0, retryOn: [] } }],
    }),
    trafficService('dribble', 8080, [ep('dribble', '10.5.0.5', dribble)]),
    trafficService('closer', 8080, [ep('closer', '10.5.0.6', closerPort)]),
  ];
  agent = await startAgent(['--snapshot', files.write(snapshot(1, 'web', services)), '--outbound', 'silent:8080=0']);
  fdBefore = fdCount(agent.proc.pid!);
});

test.after(async () => {
  await client.close();
  await admin.close();
  await agent?.stop();
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  files.cleanup();
});

const port = () => agent.ports.outbound['silent:8080']!;

test('reset after the headers: the client sees the status, then a broken body (flag UC); the agent lives', async () => {
  let failed = false;
  try {
    const r = await client.send(port(), '/ra', { host: 'reset-after', headers: { 'x-request-id': 'ra-1' } });
    failed = r.text.length !== 100;
  } catch {
    failed = true;
  }
  assert.ok(failed, 'the body must not look complete');
  const e = await logEntry(agent, 'ra-1');
  assert.is(e.status, 200);
  assert.is(e.response_flags, 'UC');
  assert.is((await admin.get(agent.ports.admin, '/ready')).status, 200);
});

test('reset before the headers: 503 UF (a bodiless GET is retried once, then URX)', async () => {
  const r = await client.send(port(), '/rb', { host: 'reset-before', headers: { 'x-request-id': 'rb-1' } });
  assert.is(r.status, 503);
  const e = await logEntry(agent, 'rb-1');
  assert.is(e.response_flags, 'UF,URX');
  assert.is(e.attempts, 3);
});

test('never answers, route timeout: 504 UT; no timeout: the client gives up, flag DC, upstream connection closed', async () => {
  const t = await client.send(port(), '/s1', { host: 'silent-timeout', headers: { 'x-request-id': 'st-1' } });
  assert.is(t.status, 504);
  assert.is((await logEntry(agent, 'st-1')).response_flags, 'UT');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const { request } = await import('undici');
  await request(`http://127.0.0.1:${port()}/s2`, { headers: { host: 'silent', 'x-request-id': 'st-2' }, signal: ac.signal }).catch(() => {});
  assert.is((await logEntry(agent, 'st-2')).response_flags, 'DC');
  await waitFor(() => silentSockets.size === 0, 3000, 'the agent closed the upstream connections it gave up on');
});

test('answers one byte at a time: the whole body arrives', async () => {
  const r = await client.send(port(), '/slow', { host: 'dribble', headers: { 'x-request-id': 'dr-1' } });
  assert.is(r.status, 200);
  assert.is(r.text, 'the quick brown fox jumps over the dog');
  // The last byte ended the response before the upstream's end: the request is still logged once, whole.
  const e = await logEntry(agent, 'dr-1');
  assert.is(e.status, 200);
  assert.is(e.response_flags, '-');
  assert.is(accessLog(agent).filter((x) => x.request_id === 'dr-1').length, 1);
});

test('closes keep-alive connections at random: 300 GETs, 10 at a time, all 200', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 300; i += 10) {
    const rs = await Promise.all(Array.from({ length: 10 }, (_, j) => client.send(port(), `/k${i + j}`, { host: 'closer' })));
    statuses.push(...rs.map((r) => r.status));
  }
  assert.equal(statuses.filter((s) => s !== 200), []);
  const retried = accessLog(agent).filter((e) => e.path?.startsWith('/k') && e.attempts > 1).length;
  assert.ok(retried >= 0);
});

test('no leak: once the upstreams are gone, the agent is back to the descriptors it started with', async () => {
  for (const s of sockets) s.destroy();
  await client.close();
  client = new Client();
  const pid = agent.proc.pid!;
  await waitFor(() => fdCount(pid) <= fdBefore + 1, 5000, `fd count back to ${fdBefore} (now ${fdCount(pid)})`);
  assert.is((await admin.get(agent.ports.admin, '/ready')).status, 200);
  assert.is(agent.proc.exitCode, null);
});

test.run();
