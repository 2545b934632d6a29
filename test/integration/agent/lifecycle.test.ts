import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { EchoApp, SnapshotFiles, startAgent, TestClient } from './agent-harness.ts';

test('SIGTERM: stops being ready, finishes the in-flight request, exits 0', async () => {
  const files = new SnapshotFiles();
  const client = new TestClient();
  const app = await new EchoApp('slow').listen();
  const server = await startAgent(['--snapshot', files.write(snapshot(1, 'api', [])), '--inbound', `${app.port}=0`]);
  const web = snapshot(1, 'web', [service('api', [8080], [endpoint('api', '10.3.0.1', 8080, server.ports.inbound[app.port])])]);
  const agent = await startAgent(['--snapshot', files.write(web), '--outbound', 'api:8080=0']);
  try {
    app.hold = true;
    const inflight = request(`http://127.0.0.1:${agent.ports.outbound['api:8080']}/slow`, { headers: { host: 'api' } });
    await waitFor(() => app.held.length === 1, 5000, 'request held by the app');
    agent.proc.kill('SIGTERM');
    await waitFor(async () => (await client.get(agent.ports.admin, '/ready')).status === 503, 5000, 'draining');
    app.held.shift()!();
    const res = await inflight;
    assert.is(res.statusCode, 200);
    assert.is(JSON.parse(await res.body.text()).url, '/slow');
    assert.is(await agent.exited, 0);
    assert.match(agent.stderr(), /draining/);
  } finally {
    await client.close();
    await agent.stop();
    assert.is(await server.stop(), 0);
    await app.close();
    files.cleanup();
  }
});

test('a bad static snapshot fails the start with a stable error code', async () => {
  const files = new SnapshotFiles();
  try {
    await startAgent(['--snapshot', files.write({ version: 1 })]);
    assert.unreachable('should not start');
  } catch (err) {
    assert.match((err as Error).message, /AGENT_ERR_SNAPSHOT_INVALID/);
  } finally {
    files.cleanup();
  }
});

test('usage errors exit 2 with the code', async () => {
  try {
    await startAgent(['--capture', 'ebpf', '--snapshot', 'x']);
    assert.unreachable('should not start');
  } catch (err) {
    assert.match((err as Error).message, /exited 2 .*AGENT_ERR_USAGE/s);
  }
});

test.run();
