/**
 * The access log of a real agent process: no line lost when it is stopped while its stdout is not
 * being read (a pipe on stdout is asynchronous; lines queued in it die with `process.exit`), and
 * every line is JSON whatever the request put in its path and headers.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { EchoApp, SnapshotFiles, startAgent, TestClient } from './agent-harness.ts';

const REQUESTS = 1500;

const NASTY: Array<{ path: string; headers: Record<string, string> }> = [
  { path: '/q"uote\\back\\slash', headers: { 'x-request-id': 'nasty-1 "quoted" \\ back' } },
  { path: '/latin1', headers: { 'x-request-id': 'nasty-2\ttab caf\u00e9 \u00ff \u00e2\u0082\u00ac' } },
  { path: '/emoji/%F0%9F%98%80?q={"x":"\\u2028"}|^`', headers: { 'x-request-id': 'nasty-3', 'x-b3-traceid': 'b3"\\id' } },
  { path: '/trace', headers: { 'x-request-id': 'nasty-4', traceparent: `00-${'"\\'.repeat(16)}-00f067aa0ba902b7-01` } },
];

/** One request with exactly these bytes (latin1) in its target and headers; resolves with the answer. */
async function raw(port: number, path: string, headers: Record<string, string>): Promise<string> {
  const sock = connect(port, '127.0.0.1');
  const head = Object.entries({ host: 'api', ...headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  sock.write(Buffer.from(`GET ${path} HTTP/1.1\r\n${head}\r\n`, 'latin1'));
  let answer = '';
  sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  await once(sock, 'close');
  return answer;
}

test('SIGTERM while stdout is not read: every access log line comes out, each one JSON', async () => {
  const files = new SnapshotFiles();
  const client = new TestClient();
  const app = await new EchoApp('api').listen();
  const web = snapshot(1, 'web', [service('api', [8080], [endpoint('api', '10.3.0.1', 8080, app.port)])]);
  const agent = await startAgent(['--snapshot', files.write(web), '--outbound', 'api:8080=0']);
  const dispatcher = new Agent({ connections: 20 });
  try {
    const closed = once(agent.proc, 'close');
    // Stop reading: the pipe fills, and the agent's lines queue in its stdout stream.
    agent.proc.stdout!.pause();
    const port = agent.ports.outbound['api:8080']!;
    const send = async (path: string, headers: Record<string, string>) => {
      const r = await request(`http://127.0.0.1:${port}${path}`, { dispatcher, headers: { host: 'api', ...headers } });
      await r.body.dump();
      return r.statusCode;
    };
    for (const n of NASTY) {
      const answer = await raw(port, n.path, n.headers);
      assert.match(answer, /^HTTP\/1\.1 200 /, `${n.path}: ${answer}`);
    }
    let next = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (next < REQUESTS) await send(`/r/${next}`, { 'x-request-id': `bulk-${next++}` });
    }));
    agent.proc.kill('SIGTERM');
    // Read again only once the agent is done with everything but its stdout (admin closed).
    await waitFor(async () => {
      try {
        await client.get(agent.ports.admin, '/ready');
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'admin server closed');
    agent.proc.stdout!.resume();
    await closed;
    assert.is(agent.proc.exitCode, 0);
    const entries = agent.stdoutLines.filter((l) => !l.includes('"msg":"listening"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const bulk = new Set(entries.map((e) => e.request_id).filter((id) => String(id).startsWith('bulk-')));
    assert.is(bulk.size, REQUESTS, 'a line for every request');
    for (const n of NASTY) {
      const e = entries.find((x) => x.request_id === n.headers['x-request-id']);
      assert.ok(e, `line of ${n.headers['x-request-id']}`);
      assert.is(e!.path, n.path);
      assert.is(e!.status, 200);
    }
    assert.is(entries.find((e) => e.request_id === 'nasty-3')!.trace_id, 'b3"\\id');
    assert.is(entries.find((e) => e.request_id === 'nasty-4')!.trace_id, '"\\'.repeat(16));
  } finally {
    await dispatcher.close();
    await client.close();
    await agent.stop();
    await app.close();
    files.cleanup();
  }
});

test.run();
