/**
 * An agent fed by a control server does not know its ports' mTLS modes (PeerAuthentication) before
 * its first snapshot. An inbound connection made then waits for it instead of passing as
 * PERMISSIVE: under STRICT it is refused before the app sees a byte, under PERMISSIVE it goes on.
 */
import { connect, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentSnapshot, MtlsModeSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { ControlStub, EchoApp, startAgent, type RunningAgent } from './agent-harness.ts';

let app: EchoApp;
const controls: ControlStub[] = [];
const agents: RunningAgent[] = [];

test.before(async () => {
  app = await new EchoApp('api').listen();
});

test.after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(controls.map((c) => c.close()));
  await app.close();
});

/** An agent for the app whose control server has not sent a snapshot yet. */
async function unconfigured(name: string): Promise<{ agent: RunningAgent; control: ControlStub }> {
  const control = await new ControlStub().listen();
  controls.push(control);
  const agent = await startAgent(['--inbound', `${app.port}=0`], { DOCKMESH_CONTROL_URL: control.url, DOCKMESH_CONTAINER: name, DOCKMESH_TOKEN: 't' });
  agents.push(agent);
  await waitFor(() => control.streams.length === 1, 5000, 'stream open');
  return { agent, control };
}

function withMode(mode: MtlsModeSnapshot): AgentSnapshot {
  const s = snapshot(1, 'api', []);
  s.inbound = { mtls: { mode }, authz: { policies: [] } };
  return s;
}

/** A plaintext request on a raw connection: what came back, and when it closed. */
function plaintext(port: number, path: string): { sock: Socket; data: () => string; closed: Promise<void> } {
  const sock = connect(port, '127.0.0.1');
  let data = '';
  sock.on('data', (d) => (data += d.toString()));
  sock.on('error', () => {});
  sock.write(`GET ${path} HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`);
  return { sock, data: () => data, closed: new Promise((r) => sock.on('close', () => r())) };
}

const seen = (path: string) => app.seen.some((s) => s.url === path);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('STRICT: plaintext sent before the first snapshot waits for it, then is refused; the app sees nothing', async () => {
  const { agent, control } = await unconfigured('strict-container');
  const c = plaintext(agent.ports.inbound[app.port]!, '/early-strict');
  await sleep(600);
  assert.not.ok(seen('/early-strict'), 'nothing reached the app before the snapshot');
  assert.is(c.data(), '', 'no answer while the mode is not known');
  control.push(withMode('STRICT'));
  await c.closed;
  assert.is(c.data(), '');
  assert.not.ok(seen('/early-strict'));
});

test('PERMISSIVE: plaintext sent before the first snapshot waits for it, then reaches the app', async () => {
  const { agent, control } = await unconfigured('permissive-container');
  const c = plaintext(agent.ports.inbound[app.port]!, '/early-permissive');
  await sleep(600);
  assert.not.ok(seen('/early-permissive'));
  control.push(withMode('PERMISSIVE'));
  await c.closed;
  assert.match(c.data(), /^HTTP\/1\.1 200 /);
  assert.ok(seen('/early-permissive'));
});

test.run();
