/**
 * The agent formats its times without V8's Date methods (agent/utc-time.ts): the first of them sets
 * up V8's date cache and ICU's time zone, about 0.7 MB of an idle agent's RSS (docs/agent.md,
 * "Memory"). A bundled agent that logs, writes its access log, proxies (to an app that sends a Date
 * header and one that does not), answers locally (HTTP/1.1 and HTTP/2) and serves its admin API
 * calls none of them, and every answer still carries a Date header.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { bundledAgent, EchoApp, SnapshotFiles, startAgent, TestClient } from './agent-harness.ts';
import { waitFor } from '../../support/wait-for.ts';

const PRELOAD = resolve(import.meta.dirname, '../../support/date-call-preload.mjs');

/** An app that answers without a Date header. */
async function undatedApp(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.sendDate = false;
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A GET over HTTP/2 cleartext (prior knowledge): its status and Date header. */
function h2Get(port: number, authority: string): Promise<{ status: number; date: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'GET', ':path': '/', ':authority': authority });
    req.on('response', (h) => {
      req.resume();
      req.on('end', () => {
        session.close();
        resolvePromise({ status: Number(h[':status']), date: h.date });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function assertDate(value: unknown, what: string): void {
  assert.type(value, 'string', `${what}: a Date header`);
  const ms = Date.parse(value as string);
  assert.ok(Math.abs(ms - Date.now()) < 60_000, `${what}: ${String(value)} is now`);
  assert.is(new Date(ms).toUTCString(), value, `${what}: an IMF-fixdate`);
}

test('a bundled agent answers with Date headers and logs with times, without calling any Date method that breaks a time down', async () => {
  const bundled = await bundledAgent();
  const files = new SnapshotFiles();
  const app = await new EchoApp('api').listen();
  const bare = await undatedApp();
  const http = new TestClient();
  const record = join(files.dir, 'date-calls.json');
  try {
    const api = service('api', [8080], [endpoint('api', '10.1.0.1', 8080, app.port)]);
    const bareSvc = service('bare', [8081], [endpoint('bare', '10.1.0.2', 8081, bare.port)]);
    const agent = await startAgent(
      ['--snapshot', files.write(snapshot(1, 'web', [api, bareSvc])), '--outbound', 'api:8080=0', '--outbound', 'bare:8081=0', '--outbound', 'ghost:80=0', '--access-log', 'on'],
      { ...bundled.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`, DOCKMESH_TEST_DATE_CALLS: record },
      bundled.program,
    );
    try {
      const proxied = await http.get(agent.ports.outbound['api:8080']!, '/hello', { host: 'api:8080' });
      assert.is(proxied.status, 200);
      assertDate(proxied.headers.date, 'proxied, the app\'s');
      const undated = await http.get(agent.ports.outbound['bare:8081']!, '/', { host: 'bare:8081' });
      assert.is(undated.status, 200);
      assertDate(undated.headers.date, 'proxied from an app without one');
      const noRoute = await http.get(agent.ports.outbound['ghost:80']!, '/', { host: 'ghost' });
      assert.is(noRoute.status, 404);
      assertDate(noRoute.headers.date, 'a local reply');
      const h2 = await h2Get(agent.ports.outbound['ghost:80']!, 'ghost');
      assert.is(h2.status, 404);
      assertDate(h2.date, 'a local reply over HTTP/2 (h2c)');
      for (const path of ['/ready', '/metrics', '/stats']) {
        const r = await http.get(agent.ports.admin, path);
        assert.is(r.status, 200, path);
        assertDate(r.headers.date, `admin ${path}`);
      }
      const accessLog = await waitFor(() => {
        const lines = agent.stdoutLines.map((l) => JSON.parse(l) as { time: string; status?: number }).filter((l) => l.status !== undefined);
        return lines.length === 4 ? lines : undefined;
      }, 5000, 'four access log lines');
      const log = agent.stderr().trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string });
      assert.ok(log.length > 0 && log.every((l) => l.level), 'log lines');
      for (const l of [...accessLog, ...log]) assert.is(new Date(l.time).toISOString(), l.time, 'an ISO 8601 time');
    } finally {
      await agent.stop();
    }
    const calls = JSON.parse(readFileSync(record, 'utf8')) as Record<string, { count: number; first: string }>;
    assert.equal(calls, {}, `Date methods called:\n${JSON.stringify(calls, null, 2)}`);
  } finally {
    await http.close();
    await new Promise((r) => app.server.close(r));
    await new Promise((r) => bare.server.close(r));
    files.cleanup();
    bundled.remove();
  }
});

test.run();
