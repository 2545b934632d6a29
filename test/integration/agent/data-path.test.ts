import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { closedPort, EchoApp, metricValue, SnapshotFiles, startAgent, TcpEcho, TestClient, type RunningAgent } from './agent-harness.ts';

// web (client agent) → api v1 / api v2 (server agents) → echo apps; plus an opaque TCP echo service.
let files: SnapshotFiles;
let apps: EchoApp[];
let echo: TcpEcho;
let servers: RunningAgent[];
let clientAgent: RunningAgent;
let client: TestClient;


test.before(async () => {
  files = new SnapshotFiles();
  client = new TestClient();
  apps = await Promise.all([new EchoApp('api-v1').listen(), new EchoApp('api-v2').listen()]);
  echo = await new TcpEcho().listen();
  servers = [];
  for (const [i, app] of apps.entries()) {
    const self = snapshot(1, 'api', [], { version: `v${i + 1}` });
    const extra = i === 0 ? ['--inbound', `${echo.port}=0`] : [];
    servers.push(await startAgent(['--snapshot', files.write(self), '--inbound', `${app.port}=0`, ...extra]));
  }
  const api = service('api', [8080], [
    endpoint('api', '10.1.0.1', 8080, servers[0]!.ports.inbound[apps[0]!.port], { version: 'v1' }),
    endpoint('api', '10.1.0.2', 8080, servers[1]!.ports.inbound[apps[1]!.port], { version: 'v2' }),
  ]);
  const tcp = service('echo', [7000], [endpoint('echo', '10.1.0.3', 7000, servers[0]!.ports.inbound[echo.port])]);
  const empty = service('payments', [9000], []);
  const dead = await closedPort();
  const flaky = service('flaky', [8081], [
    endpoint('flaky', '10.1.0.8', 8081, dead),
    endpoint('flaky', '10.1.0.9', 8081, servers[0]!.ports.inbound[apps[0]!.port]),
  ]);
  const web = snapshot(4, 'web', [api, tcp, empty, flaky], { version: 'v1' });
  clientAgent = await startAgent([
    '--snapshot', files.write(web),
    '--outbound', 'api:8080=0', '--outbound', 'echo:7000=0', '--outbound', 'payments:9000=0', '--outbound', 'ghost:80=0',
    '--outbound', 'flaky:8081=0',
  ]);
});

test.after(async () => {
  await client.close();
  await Promise.all([clientAgent, ...servers].filter(Boolean).map((a) => a.stop()));
  await Promise.all([...apps.map((a) => a.close()), echo.close()]);
  files.cleanup();
});

const out = (name: string) => clientAgent.ports.outbound[name]!;

test('client agent → server agent → app: identity headers travel between agents, never to the app', async () => {
  const r = await client.get(out('api:8080'), '/hello?x=1', { host: 'api:8080', 'x-dockmesh-source-workload': 'evil' });
  assert.is(r.status, 200);
  const seen = JSON.parse(r.text);
  assert.is(seen.url, '/hello?x=1');
  assert.is(seen.headers.host, 'api:8080');
  assert.ok(seen.headers['x-request-id'], 'x-request-id generated');
  assert.equal(Object.keys(seen.headers).filter((h) => h.startsWith('x-dockmesh-')), []);
});

test('round robin across two endpoints', async () => {
  const before = apps.map((a) => a.seen.length);
  for (let i = 0; i < 6; i++) assert.is((await client.get(out('api:8080'), '/rr', { host: 'api' })).status, 200);
  assert.equal(apps.map((a, i) => a.seen.length - before[i]!), [3, 3]);
});

test('istio_requests_total: reporter=source on the client agent, reporter=destination on the server agent', async () => {
  const src = await client.get(clientAgent.ports.admin, '/metrics');
  const common = { source_workload: 'web', destination_workload: 'api', destination_service_name: 'api', response_code: '200' };
  assert.ok(metricValue(src.text, 'istio_requests_total', { ...common, reporter: 'source', destination_version: 'v1', source_version: 'v1' }) >= 3);
  assert.ok(metricValue(src.text, 'istio_request_duration_milliseconds_count', { ...common, reporter: 'source' }) >= 7);
  const dst = await client.get(servers[1]!.ports.admin, '/metrics');
  // Plaintext between the agents (no identities here): the peer's x-dockmesh-source-* headers are
  // not trusted, so the server agent reports an unknown source (mtls-agents.test.ts covers mTLS).
  const inbound = { ...common, source_workload: 'unknown', reporter: 'destination', destination_version: 'v2', connection_security_policy: 'none' };
  const n = metricValue(dst.text, 'istio_requests_total', inbound);
  assert.ok(n >= 3, `server agent counted ${n}`);
  assert.is(metricValue(dst.text, 'istio_requests_total', { source_workload: 'evil' }), 0);
  assert.is(metricValue(src.text, 'dockmesh_config_version'), 4);
});

test('a dead endpoint fails no request: connect failures are retried once on another endpoint', async () => {
  for (let i = 0; i < 6; i++) {
    const r = await client.get(out('flaky:8081'), `/flaky-${i}`, { host: 'flaky' });
    assert.is(r.status, 200, `request ${i}`);
  }
  const lines = await waitFor(() => {
    const l: Array<{ attempts: number }> = clientAgent.stdoutLines.map((x) => JSON.parse(x)).filter((e) => e.path?.startsWith('/flaky-'));
    return l.length === 6 ? l : undefined;
  }, 3000, 'flaky access log lines');
  assert.equal(lines.map((e) => e.attempts).sort(), [1, 1, 1, 2, 2, 2]);
});

test('no endpoint → 503 UH; unknown service → 404 NR', async () => {
  const uh = await client.get(out('payments:9000'), '/', { host: 'payments:9000' });
  assert.is(uh.status, 503);
  const nr = await client.get(out('ghost:80'), '/', { host: 'ghost' });
  assert.is(nr.status, 404);
  await waitFor(() => clientAgent.stdoutLines.some((l) => l.includes('"response_flags":"NR"')), 3000, 'NR access log line');
  const log = clientAgent.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.response_flags === 'UH');
  assert.is(log.status, 503);
  assert.is(log.destination_service, 'payments');
  assert.is(log.direction, 'outbound');
});

test('access log: one JSON line per request with trace id, request id, upstream and attempts', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await client.get(out('api:8080'), '/logged', { host: 'api', traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'req-42' });
  const entry = await waitFor(
    () => clientAgent.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.request_id === 'req-42'),
    3000, 'access log line',
  );
  assert.is(entry.trace_id, traceId);
  assert.is(entry.method, 'GET');
  assert.is(entry.path, '/logged');
  assert.is(entry.status, 200);
  assert.is(entry.attempts, 1);
  assert.is(entry.source_service, 'web');
  assert.is(entry.destination_service, 'api');
  assert.match(entry.upstream, /^127\.0\.0\.1:\d+$/);
  assert.ok(typeof entry.duration_ms === 'number');
  const inbound = await waitFor(
    () => servers.flatMap((s) => s.stdoutLines).map((l) => JSON.parse(l)).find((e) => e.request_id === 'req-42'),
    3000, 'server access log line',
  );
  assert.is(inbound.direction, 'inbound');
  assert.is(inbound.source_service, 'unknown', 'a plaintext peer does not speak for its source');
});

test('POST bodies stream through both agents', async () => {
  const { request } = await import('undici');
  const body = 'x'.repeat(200_000);
  const res = await request(`http://127.0.0.1:${out('api:8080')}/upload`, { method: 'POST', body, headers: { host: 'api' } });
  const seen = JSON.parse(await res.body.text());
  assert.is(res.statusCode, 200);
  assert.is(seen.method, 'POST');
  assert.is(seen.body.length, body.length);
});

test('opaque TCP passes through both agents, with istio_tcp_* metrics', async () => {
  const sock = connect(out('echo:7000'), '127.0.0.1');
  const got = new Promise<string>((resolve, reject) => {
    let data = '';
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('bye\n')) resolve(data);
    });
    sock.on('error', reject);
  });
  sock.write('hello raw tcp\n');
  sock.write('bye\n');
  assert.is(await got, 'hello raw tcp\nbye\n');
  sock.end();
  await new Promise((r) => sock.on('close', r));
  await waitFor(async () => {
    const m = await client.get(clientAgent.ports.admin, '/metrics');
    return metricValue(m.text, 'istio_tcp_connections_closed_total', { reporter: 'source', destination_workload: 'echo' }) >= 1;
  }, 3000, 'tcp closed metric');
  const m = (await client.get(clientAgent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'istio_tcp_connections_opened_total', { reporter: 'source', destination_service_name: 'echo', request_protocol: 'tcp' }), 1);
  assert.is(metricValue(m, 'istio_tcp_received_bytes_total', { reporter: 'source', destination_workload: 'echo' }), 18);
  assert.is(metricValue(m, 'istio_tcp_sent_bytes_total', { reporter: 'source', destination_workload: 'echo' }), 18);
  // One access log line per agent for the connection, when it closes, as Envoy's TCP proxy logs one.
  const tcpLines = (a: RunningAgent) => a.stdoutLines.map((l) => JSON.parse(l)).filter((e) => e.protocol === 'tcp');
  const line = await waitFor(() => tcpLines(clientAgent)[0], 3000, 'client agent tcp access log line');
  assert.is(tcpLines(clientAgent).length, 1);
  assert.equal(
    [line.method, line.path, line.status, line.request_id, line.response_flags, line.direction, line.source_service, line.destination_service, line.attempts, line.bytes_received, line.bytes_sent],
    [null, null, 0, null, '-', 'outbound', 'web', 'echo', 1, 18, 18],
  );
  assert.match(line.upstream, /^127\.0\.0\.1:\d+$/);
  assert.ok(line.duration_ms >= 0);
  const inbound = await waitFor(() => tcpLines(servers[0]!)[0], 3000, 'server agent tcp access log line');
  assert.equal([inbound.direction, inbound.destination_service, inbound.bytes_received, inbound.bytes_sent], ['inbound', 'api', 18, 18]);
  assert.is(inbound.upstream, `127.0.0.1:${echo.port}`);
});

test('HTTP Upgrade passes through both agents; identity headers reach the server agent only', async () => {
  const sock = connect(out('api:8080'), '127.0.0.1');
  let data = '';
  sock.on('data', (d) => (data += d.toString()));
  sock.write('GET /ws HTTP/1.1\r\nHost: api:8080\r\nConnection: Upgrade\r\nUpgrade: echo\r\nx-dockmesh-source-workload: evil\r\n\r\n');
  await waitFor(() => data.includes('\r\n\r\n'), 5000, '101 answer');
  assert.match(data, /^HTTP\/1\.1 101 /);
  data = '';
  sock.write('ping over upgraded connection');
  await waitFor(() => data === 'ping over upgraded connection', 5000, 'echo');
  sock.end();
  await new Promise((r) => sock.on('close', r));
  const seen = apps.flatMap((a) => a.seen).find((s) => s.url === '/ws')!;
  assert.is(seen.headers.upgrade, 'echo');
  assert.equal(Object.keys(seen.headers).filter((h) => h.startsWith('x-dockmesh-')), []);
  assert.ok(seen.headers['x-request-id']);
});

test('an Upgrade request is reported like any other when its connection ends: access log and istio_requests_total, 101, on both agents', async () => {
  const ws = { reporter: 'source', destination_workload: 'api', response_code: '101' };
  const srcFigures = async (): Promise<number[]> => {
    const t = (await client.get(clientAgent.ports.admin, '/metrics')).text;
    return ['istio_requests_total', 'istio_request_bytes_sum', 'istio_response_bytes_sum'].map((m) => metricValue(t, m, ws));
  };
  const dstCount = async (): Promise<number> => {
    const texts = (await Promise.all(servers.map((a) => client.get(a.ports.admin, '/metrics')))).map((r) => r.text);
    return texts.reduce((n, t) => n + metricValue(t, 'istio_requests_total', { reporter: 'destination', response_code: '101' }), 0);
  };
  const [src0, dst0] = [await srcFigures(), await dstCount()];
  const sock = connect(out('api:8080'), '127.0.0.1');
  let data = '';
  sock.on('data', (d) => (data += d.toString()));
  sock.write('GET /ws-logged?q=1 HTTP/1.1\r\nHost: api:8080\r\nConnection: Upgrade\r\nUpgrade: echo\r\nx-request-id: ws-1\r\n\r\n');
  await waitFor(() => data.includes('\r\n\r\n'), 5000, '101 answer');
  data = '';
  sock.write('0123456789');
  await waitFor(() => data === '0123456789', 5000, 'echo');
  const lines = (a: RunningAgent) => a.stdoutLines.map((l) => JSON.parse(l)).filter((e) => e.request_id === 'ws-1');
  assert.equal(lines(clientAgent), [], 'nothing is reported while the connection is open');
  sock.end();
  await new Promise((r) => sock.on('close', r));
  const entry = await waitFor(() => lines(clientAgent)[0], 3000, 'client agent access log line');
  assert.is(entry.method, 'GET');
  assert.is(entry.path, '/ws-logged?q=1');
  assert.is(entry.status, 101);
  assert.is(entry.response_flags, '-');
  assert.is(entry.direction, 'outbound');
  assert.is(entry.source_service, 'web');
  assert.is(entry.destination_service, 'api');
  assert.match(entry.upstream, /^127\.0\.0\.1:\d+$/);
  assert.is(entry.attempts, 1);
  const inbound = await waitFor(() => servers.map(lines).flat()[0], 3000, 'server agent access log line');
  assert.is(inbound.status, 101);
  assert.is(inbound.direction, 'inbound');
  // One request; the tunnel's bytes are its request's and its response's body (10 each way), as
  // Envoy counts an upgraded stream's.
  assert.equal((await srcFigures()).map((v, i) => v - src0[i]!), [1, 10, 10]);
  assert.is((await dstCount()) - dst0, 1);
});

test('an Upgrade request refused by the agent is reported too (404 NR, 503 UH)', async () => {
  const refused = async (name: string, host: string, id: string): Promise<string> => {
    const sock = connect(out(name), '127.0.0.1');
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    sock.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: echo\r\nx-request-id: ${id}\r\n\r\n`);
    await new Promise((r) => sock.on('close', r));
    return data;
  };
  assert.match(await refused('ghost:80', 'ghost', 'ws-nr'), /^HTTP\/1\.1 404 /);
  assert.match(await refused('payments:9000', 'payments:9000', 'ws-uh'), /^HTTP\/1\.1 503 /);
  const byId = (id: string) => waitFor(() => clientAgent.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.request_id === id), 3000, id);
  const nr = await byId('ws-nr');
  assert.equal([nr.status, nr.response_flags], [404, 'NR']);
  const uh = await byId('ws-uh');
  assert.equal([uh.status, uh.response_flags, uh.destination_service], [503, 'UH', 'payments']);
});

test('a client going away aborts the upstream requests on both hops (flag DC)', async () => {
  apps.forEach((a) => (a.hold = true));
  try {
    const sock = connect(out('api:8080'), '127.0.0.1');
    sock.on('error', () => {});
    sock.write('GET /abandon HTTP/1.1\r\nHost: api\r\nx-request-id: abandon-1\r\n\r\n');
    await waitFor(() => apps.some((a) => a.held.length > 0), 5000, 'request reached an app');
    sock.destroy();
    await waitFor(() => apps.some((a) => a.abandoned.includes('/abandon')), 5000, 'app saw the request abandoned');
    const entry = await waitFor(
      () => clientAgent.stdoutLines.map((l) => JSON.parse(l)).find((e) => e.request_id === 'abandon-1'),
      5000, 'access log line',
    );
    assert.is(entry.response_flags, 'DC');
  } finally {
    apps.forEach((a) => {
      a.hold = false;
      a.held.splice(0).forEach((answer) => answer());
    });
  }
});

test('chunked bodies are counted in istio_request_bytes and istio_response_bytes', async () => {
  const { request } = await import('undici');
  const { Readable } = await import('node:stream');
  const body = Readable.from([Buffer.alloc(1000, 97), Buffer.alloc(500, 98)]);
  const res = await request(`http://127.0.0.1:${out('api:8080')}/chunked`, { method: 'PUT', body, headers: { host: 'api' } });
  const text = await res.body.text();
  assert.is(res.statusCode, 200);
  assert.is(JSON.parse(text).body.length, 1500);
  const m = (await client.get(clientAgent.ports.admin, '/metrics')).text;
  const sum = (name: string) => metricValue(m, `${name}_sum`, { reporter: 'source', destination_workload: 'api' });
  const count = (name: string) => metricValue(m, `${name}_count`, { reporter: 'source', destination_workload: 'api' });
  assert.ok(sum('istio_request_bytes') >= 1500 + 200_000, String(sum('istio_request_bytes')));
  assert.ok(sum('istio_response_bytes') > text.length, String(sum('istio_response_bytes')));
  assert.is(count('istio_request_bytes'), count('istio_request_duration_milliseconds'));
});

test('admin: /ready, /config, /stats', async () => {
  const ready = await client.get(clientAgent.ports.admin, '/ready');
  assert.is(ready.status, 200);
  const config = await client.json(clientAgent.ports.admin, '/config');
  assert.is(config.version, 4);
  assert.is(config.snapshot.self.workload, 'web');
  const stats = await client.json(clientAgent.ports.admin, '/stats');
  assert.is(stats.configVersion, 4);
  assert.ok(stats.outbound.requests >= 9, JSON.stringify(stats));
  assert.ok(stats.outbound.connections >= 1);
  assert.is(stats.captureInstalled, false);
  const serverStats = await client.json(servers[0]!.ports.admin, '/stats');
  assert.equal(serverStats.appPorts, [apps[0]!.port, echo.port].sort((a, b) => a - b));
  assert.ok(serverStats.inbound.requests >= 3);
  assert.is((await client.get(clientAgent.ports.admin, '/nope')).status, 404);
});

test.run();
