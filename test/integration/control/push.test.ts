/**
 * The control server on loopback with a fixed workload source (no Docker): agents stream
 * snapshots, report ports, ACK/NACK; versions bump only when content changes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import https from 'node:https';
import { ControlServer } from '../../../control/control-server.ts';
import type { Workload } from '../../../control/discovery/labels.ts';
import type { AgentSnapshot, StatusView, StreamMessage } from '../../../wire/types.ts';
import { FixedSource, workload } from '../../support/workloads.ts';
import { waitFor } from '../../support/wait-for.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { makeCsr } from '../../unit/identity/cert-factory.ts';
import { agentListener, controlTlsOptions } from '../../support/control-tls.ts';


/** A minimal agent client speaking the wire protocol. */
function connectAgent(base: string, container: string, token: string, tls?: LocalCa) {
  const snapshots: AgentSnapshot[] = [];
  let buf = '';
  const headers = { authorization: `Bearer ${token}` };
  const req = tls
    ? https.get(`${base}/v1/agents/${container}/stream`, { headers, ...controlTlsOptions(tls) })
    : http.get(`${base}/v1/agents/${container}/stream`, { headers });
  const status = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, i)) as StreamMessage;
          buf = buf.slice(i + 1);
          if (msg.type === 'snapshot') snapshots.push(msg.snapshot);
        }
      });
    });
    req.on('error', () => resolve(0));
  });
  const post = (path: string, body: unknown) =>
    fetch(`${base}/v1/agents/${container}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { snapshots, status, post, close: () => req.destroy() };
}

async function setup() {
  const web = workload('web', { container: 'web1', addresses: { n: '10.0.0.2' } });
  const api = workload('api', { container: 'api1', addresses: { n: '10.0.0.3' } });
  const source = new FixedSource([web, api]);
  const server = new ControlServer({
    project: 'proj',
    apiToken: 'cli-token',
    source,
    staticAgentTokens: new Map([
      ['web1', 'tw'],
      ['api1', 'ta'],
    ]),
  });
  const base = await server.start('127.0.0.1', 0);
  return { server, base, source, web, api };
}

async function status(base: string): Promise<StatusView> {
  const r = await fetch(`${base}/v1/status`, { headers: { authorization: 'Bearer cli-token' } });
  return (await r.json()) as StatusView;
}

test('agents get a snapshot, report ports, ACK; peers see the new endpoint; status is ready', async () => {
  const { server, base } = await setup();
  const web = connectAgent(base, 'web1', 'tw');
  const api = connectAgent(base, 'api1', 'ta');
  try {
    assert.is(await web.status, 200);
    await waitFor(() => web.snapshots.length >= 1 && api.snapshots.length >= 1, 3000, 'first snapshots');
    const first = web.snapshots.at(-1)!;
    assert.is(first.self.container, 'web1');
    assert.equal(first.services.find((s) => s.name === 'api')!.endpoints, []);

    await api.post('report', { ports: [8080], ready: true, configVersion: 1, admin: '10.0.0.3:15020' });
    const withEndpoint = await waitFor(
      () => web.snapshots.find((s) => s.services.find((x) => x.name === 'api')!.endpoints.length === 1),
      3000,
      'api endpoint in web snapshot',
    );
    assert.ok(withEndpoint.version > first.version);
    const ep = withEndpoint.services.find((x) => x.name === 'api')!.endpoints[0]!;
    assert.equal([ep.address, ep.port], ['10.0.0.3', 8080]);

    await web.post('report', { ports: [80], ready: true, configVersion: 1 });
    await web.post('ack', { version: web.snapshots.at(-1)!.version, ok: true });
    await api.post('ack', { version: api.snapshots.at(-1)!.version, ok: true });
    const s = await waitFor(async () => {
      const st = await status(base);
      return st.agents.every((a) => a.ready) ? st : null;
    }, 3000, 'all ready');
    assert.is(s.agents.length, 2);
    assert.is(s.control.project, 'proj');

    const sd = (await (await fetch(`${base}/v1/sd/agents`)).json()) as Array<{ targets: string[] }>;
    assert.ok(sd.some((t) => t.targets[0] === '10.0.0.3:15020'));
  } finally {
    web.close();
    api.close();
    await server.close();
  }
});

test('the same report twice does not bump the version; a NACK shows in status', async () => {
  const { server, base } = await setup();
  const web = connectAgent(base, 'web1', 'tw');
  const api = connectAgent(base, 'api1', 'ta');
  try {
    await api.post('report', { ports: [8080], ready: true, configVersion: 0 });
    await waitFor(() => web.snapshots.some((s) => s.services.some((x) => x.endpoints.length)), 3000, 'endpoint');
    const count = web.snapshots.length;
    await api.post('report', { ports: [8080], ready: true, configVersion: 0 });
    await new Promise((r) => setTimeout(r, 200));
    assert.is(web.snapshots.length, count, 'no new snapshot for an unchanged report');
    await web.post('ack', { version: 7, ok: false, error: 'bad route' });
    const st = await status(base);
    assert.match(st.agents.find((a) => a.container === 'web1')!.lastNack ?? '', /bad route/);
  } finally {
    web.close();
    api.close();
    await server.close();
  }
});

/** `n` workloads of their own services, each with a process-mode agent token. */
async function setupMany(n: number, pushDebounceMs: number) {
  const list = Array.from({ length: n }, (_, i) => workload(`s${i}`, { container: `c${i}`, addresses: { n: `10.0.1.${i + 2}` } }));
  const server = new ControlServer({ project: 'proj', apiToken: 'cli-token', source: new FixedSource(list), staticAgentTokens: new Map(list.map((w) => [w.container, `t-${w.container}`])), pushDebounceMs });
  const base = await server.start('127.0.0.1', 0);
  return { server, agents: list.map((w) => connectAgent(base, w.container, `t-${w.container}`)) };
}

const endpointCount = (s: AgentSnapshot | undefined) => s?.services.reduce((n, x) => n + x.endpoints.filter((e) => e.meshed).length, 0) ?? 0;

test('agents joining together cost each agent one recompile, not one per event (istiod\'s push debounce)', async () => {
  const { server, agents } = await setupMany(8, 300);
  try {
    await waitFor(() => agents.every((a) => a.snapshots.length >= 1), 5000, 'first snapshots');
    const before = agents.map((a) => a.snapshots.length);
    // Eight agents report ready at once: each report changes every other agent's snapshot.
    await Promise.all(agents.map((a) => a.post('report', { ports: [8080], ready: true, configVersion: 1 })));
    await waitFor(() => agents.every((a) => endpointCount(a.snapshots.at(-1)) === 8), 5000, 'every agent sees all 8 endpoints meshed');
    const added = agents.map((a, i) => a.snapshots.length - before[i]!);
    // Recompiled at each event, every agent got a snapshot per report (8).
    assert.ok(added.every((n) => n <= 2), `snapshots per agent after the reports: ${added.join(' ')}`);
  } finally {
    for (const a of agents) a.close();
    await server.close();
  }
});

test('an agent event is pushed within a second even while events keep coming', async () => {
  // A quiet time that never comes: only the debounce's upper bound can push.
  const { server, agents } = await setupMany(2, 60_000);
  const [a, b] = agents as [ReturnType<typeof connectAgent>, ReturnType<typeof connectAgent>];
  try {
    await waitFor(() => a.snapshots.length >= 1 && b.snapshots.length >= 1, 5000, 'first snapshots');
    await b.post('report', { ports: [8080], ready: true, configVersion: 1 });
    await waitFor(() => a.snapshots.some((s) => endpointCount(s) >= 1), 5000, 'b\'s endpoint in a\'s snapshot');
  } finally {
    for (const x of agents) x.close();
    await server.close();
  }
});

test('wrong or missing tokens are refused', async () => {
  const { server, base } = await setup();
  try {
    const bad = connectAgent(base, 'web1', 'nope');
    assert.is(await bad.status, 401);
    bad.close();
    const r = await fetch(`${base}/v1/status`);
    assert.is(r.status, 401);
    const r2 = await fetch(`${base}/v1/status`, { headers: { authorization: 'Bearer tw' } });
    assert.is(r2.status, 401, 'an agent token is not the CLI token');
  } finally {
    await server.close();
  }
});

test('a workload that goes away leaves the peers snapshots', async () => {
  const { server, base, source, web: w } = await setup();
  const web = connectAgent(base, 'web1', 'tw');
  const api = connectAgent(base, 'api1', 'ta');
  try {
    await api.post('report', { ports: [8080], ready: true, configVersion: 0 });
    await waitFor(() => web.snapshots.some((s) => s.services.some((x) => x.name === 'api' && x.endpoints.length)), 3000, 'endpoint');
    source.set([w]);
    await waitFor(() => !web.snapshots.at(-1)!.services.some((x) => x.name === 'api'), 3000, 'api gone');
  } finally {
    web.close();
    api.close();
    await server.close();
  }
});

test('a temporary fault reaches the callers of a service and expires by itself', async () => {
  const { server, base } = await setup();
  const web = connectAgent(base, 'web1', 'tw');
  const cli = { authorization: 'Bearer cli-token', 'content-type': 'application/json' };
  try {
    await waitFor(() => web.snapshots.length >= 1, 3000, 'first snapshot');
    const unknown = await fetch(`${base}/v1/faults`, { method: 'POST', headers: cli, body: JSON.stringify({ service: 'nope', abortStatus: 503, forMs: 500 }) });
    assert.is(unknown.status, 404);
    const r = await fetch(`${base}/v1/faults`, { method: 'POST', headers: cli, body: JSON.stringify({ service: 'api', abortStatus: 503, percent: 50, forMs: 400 }) });
    assert.is(r.status, 200);
    const faulted = await waitFor(() => web.snapshots.find((s) => s.services.find((x) => x.name === 'api')?.http?.[0]?.fault), 3000, 'fault pushed');
    assert.equal(faulted.services.find((x) => x.name === 'api')!.http![0]!.fault, { abort: { httpStatus: 503, percent: 50 } });
    assert.not.ok(faulted.services.find((x) => x.name === 'web')!.http, 'other services untouched');
    await waitFor(() => !web.snapshots.at(-1)!.services.find((x) => x.name === 'api')!.http, 3000, 'fault expired');
    const list = (await (await fetch(`${base}/v1/faults`, { headers: cli })).json()) as unknown[];
    assert.equal(list, []);
  } finally {
    web.close();
    await server.close();
  }
});

test('with a CA: an agent gets a leaf for its own service, snapshots carry the roots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-ca-'));
  const ca = await LocalCa.open(dir);
  const api = workload('api', { container: 'api1', addresses: { n: '10.0.0.3' } });
  const server = new ControlServer({
    project: 'proj',
    apiToken: 'cli-token',
    source: new FixedSource([api]),
    staticAgentTokens: new Map([['api1', 'ta']]),
    ca,
  });
  const base = await server.start('127.0.0.1', 0);
  const agents = agentListener(server, ca);
  const agent = connectAgent(agents.base, 'api1', 'ta', ca);
  try {
    const { csrPem } = await makeCsr();
    const post = (container: string, token: string) =>
      agents.fetch(`/v1/agents/${container}/csr`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ csr: csrPem }),
      });
    assert.is((await post('api1', 'wrong')).status, 401);
    const r = await post('api1', 'ta');
    assert.is(r.status, 200);
    const body = (await r.json()) as { certificate: string; spiffeId: string; trustBundle: string[] };
    assert.is(body.spiffeId, 'spiffe://cluster.local/ns/default/sa/api');
    assert.is(new X509Certificate(body.certificate).subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/api');
    const snap = await waitFor(() => agent.snapshots.at(-1), 3000, 'snapshot');
    assert.ok(snap.trust!.bundle.length >= 1);
    assert.is(snap.trust!.bundle[0], body.trustBundle[0]);
    const certs = await fetch(`${base}/v1/certs`, { headers: { authorization: 'Bearer cli-token' } });
    assert.is(certs.status, 200);
  } finally {
    agent.close();
    await agents.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
