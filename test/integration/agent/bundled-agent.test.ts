/**
 * The agent as its image runs it: the esbuild bundle (cli/images/bundler.ts) under the image's Node
 * flags. The code an agent loads on first need (undici, the tracer) lives in chunk files next to the
 * entry, so an agent that never needs it never holds its source text (docs/agent.md, "Memory"). Here
 * a bundled pair loads both chunks and forwards through them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { bundledAgent, EchoApp, SnapshotFiles, startAgent, TestClient } from './agent-harness.ts';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';

test('the bundled agent keeps undici, the tracer and the proxy itself out of its entry file, and loads them from their chunks when needed', async () => {
  const bundled = await bundledAgent();
  const files = new SnapshotFiles();
  const http = new TestClient();
  const receiver = await new OtlpReceiver().listen();
  const app = await new EchoApp('api').listen();
  try {
    const agent = bundled.output;
    const dir = dirname(agent.path!);
    assert.equal(readdirSync(dir).sort(), ['agent.mjs', ...agent.chunks.map((c) => c.file)].sort());
    const entry = readFileSync(agent.path!, 'utf8');
    const chunkText = agent.chunks.map((c) => Buffer.from(c.contents).toString('utf8')).join('\n');
    for (const lazy of ['// node_modules/undici/lib/dispatcher/pool.js', '// agent/tracing/tracer.ts']) {
      assert.not.ok(entry.includes(lazy), `${lazy} is not in the entry file`);
      assert.ok(chunkText.includes(lazy), `${lazy} is in a chunk`);
    }
    assert.ok(entry.length < 400_000, `entry file ${entry.length} bytes`);
    // Container mode's root process (the capture manager) runs the entry file alone: the proxy and
    // node:http, node:net come with the proxy's chunk.
    assert.ok(entry.includes('// agent/capture-manager.ts'), 'the capture manager is in the entry file');
    assert.ok(chunkText.includes('// agent/proxy-agent.ts'), 'the proxy is in a chunk');
    for (const kept of ['// agent/proxy-agent.ts', '"node:http"', '"node:net"']) assert.not.ok(entry.includes(kept), `${kept} is not in the entry file`);

    const program = bundled.program;
    const tracing = ['--tracing-endpoint', receiver.url];
    const server = await startAgent(['--snapshot', files.write(snapshot(1, 'api', [])), '--inbound', `${app.port}=0`], bundled.env, program);
    const api = service('api', [8080], [endpoint('api', '10.1.0.1', 8080, server.ports.inbound[app.port]!)]);
    const client = await startAgent(['--snapshot', files.write(snapshot(2, 'web', [api])), '--outbound', 'api:8080=0', '--upstream-client', 'undici', ...tracing], bundled.env, program);
    try {
      const r = await http.get(client.ports.outbound['api:8080']!, '/bundled', { host: 'api:8080', traceparent: `00-${TRACE}-00f067aa0ba902b7-01` });
      assert.is(r.status, 200, r.text);
      assert.is(JSON.parse(r.text).url, '/bundled');
      const spans = await waitFor(() => (receiver.trace(TRACE).length > 0 ? receiver.trace(TRACE) : undefined), 10_000, 'the client span');
      assert.is(spans[0]!.attributes['http.status_code'], 200);
    } finally {
      await client.stop();
      await server.stop();
    }
  } finally {
    await http.close();
    await app.close();
    await receiver.close();
    files.cleanup();
    bundled.remove();
  }
});

test.run();
