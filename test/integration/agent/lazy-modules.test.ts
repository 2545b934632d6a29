/**
 * What an agent loads: one whose traffic is all HTTP/1.1 loads neither undici nor node:http2, with
 * a snapshot file or a control server (its own client speaks HTTP/1.1, the control client's too;
 * undici, whose Client loads node:http2, comes only with an HTTP/2 pool or `--upstream-client
 * undici`; the HTTP/2 server only with an HTTP/2 connection). Without a workload identity node:tls
 * is not loaded either (an inbound listener makes its TLS server with the first handshake). Memory
 * an idle agent does not need (docs/agent.md, "Memory").
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { bundledAgent, ControlStub, EchoApp, SnapshotFiles, startAgent, TestClient } from './agent-harness.ts';
import { waitFor } from '../../support/wait-for.ts';

const PRELOAD = resolve(import.meta.dirname, '../../support/module-list-preload.mjs');

/** Environment that makes an agent write its built-in modules to `file` when it exits. */
function recordModules(file: string): Record<string, string> {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`, DOCKMESH_TEST_MODULE_LIST: file };
}

/**
 * Runs a server agent in front of an echo app and a client agent calling it; returns each one's
 * built-in modules. `program`: how to run the agent (default: agent/main.ts through tsx), with
 * `programEnv` added to its environment.
 */
async function modulesAfterOneRequest(clientArgs: string[], program?: string[], programEnv: Record<string, string> = {}): Promise<{ server: string[]; client: string[]; seen: IncomingHttpHeaders }> {
  const files = new SnapshotFiles();
  const app = await new EchoApp('api').listen();
  const http = new TestClient();
  const env = (name: string) => ({ ...programEnv, ...recordModules(join(files.dir, `${name}.modules`)) });
  try {
    const server = await startAgent(['--snapshot', files.write(snapshot(1, 'api', [])), '--inbound', `${app.port}=0`], env('server'), program);
    const api = service('api', [8080], [endpoint('api', '10.1.0.1', 8080, server.ports.inbound[app.port])]);
    const client = await startAgent(['--snapshot', files.write(snapshot(2, 'web', [api])), '--outbound', 'api:8080=0', ...clientArgs], env('client'), program);
    try {
      const r = await http.get(client.ports.outbound['api:8080']!, '/hello', { host: 'api:8080' });
      assert.is(r.status, 200);
      assert.is(JSON.parse(r.text).name, 'api');
    } finally {
      await client.stop();
      await server.stop();
    }
    const read = (name: string) => readFileSync(join(files.dir, `${name}.modules`), 'utf8').split('\n');
    return { server: read('server'), client: read('client'), seen: app.seen[0]!.headers };
  } finally {
    await http.close();
    await new Promise((r) => app.server.close(r));
    files.cleanup();
  }
}

test('agents whose traffic is HTTP/1.1 load neither undici nor node:http2, and without a workload identity no node:tls (plaintext requests to an inbound listener included)', async () => {
  const { server, client } = await modulesAfterOneRequest([]);
  assert.ok(server.includes('NativeModule http'), 'the list is read (node:http is loaded)');
  assert.not.ok(server.includes('NativeModule http2'), 'server agent: no node:http2');
  assert.not.ok(client.includes('NativeModule http2'), 'client agent: no node:http2');
  assert.ok(server.includes('NativeModule net'), 'the list is read (node:net is loaded)');
  assert.not.ok(server.includes('NativeModule tls'), 'server agent: no node:tls');
  assert.not.ok(client.includes('NativeModule tls'), 'client agent: no node:tls');
});

test('without a workload identity the bundled agent loads no node:crypto, with tracing on (request ids and trace ids come from Math.random)', async () => {
  // Bundled as the image runs it: tsx itself loads node:crypto.
  const bundled = await bundledAgent();
  try {
    const program = bundled.program;
    const { server, client, seen } = await modulesAfterOneRequest(['--tracing-endpoint', 'http://127.0.0.1:9/v1/traces', '--tracing-sampling', '100'], program, bundled.env);
    assert.ok(server.includes('NativeModule net'), 'the list is read (node:net is loaded)');
    assert.match(String(seen['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a version 4 UUID request id');
    assert.match(String(seen.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a sampled trace context');
    for (const [name, list] of [['server', server], ['client', client]] as const) {
      assert.not.ok(list.includes('NativeModule crypto'), `${name} agent: no node:crypto`);
      assert.not.ok(list.includes('Internal Binding crypto'), `${name} agent: not even the crypto binding`);
    }
  } finally {
    bundled.remove();
  }
});

test('an agent with a control server (stream, ACK, report) loads neither', async () => {
  const files = new SnapshotFiles();
  const control = await new ControlStub(snapshot(1, 'api', [])).listen();
  try {
    const agent = await startAgent([], {
      DOCKMESH_CONTROL_URL: control.url,
      DOCKMESH_CONTAINER: 'api-container',
      DOCKMESH_TOKEN: 'lazy-modules-token',
      ...recordModules(join(files.dir, 'agent.modules')),
    });
    await waitFor(() => control.acks.length > 0, 10_000, 'the ACK of the first snapshot');
    await agent.stop();
    const modules = readFileSync(join(files.dir, 'agent.modules'), 'utf8').split('\n');
    assert.ok(modules.includes('NativeModule http'));
    assert.not.ok(modules.includes('NativeModule http2'));
  } finally {
    await control.close();
    files.cleanup();
  }
});

test('an agent that forwards through undici loads it (and node:http2 with it)', async () => {
  const { client } = await modulesAfterOneRequest(['--upstream-client', 'undici']);
  assert.ok(client.includes('NativeModule http2'));
});

test.run();
