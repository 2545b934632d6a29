/**
 * A Flagger MetricTemplate end to end on loopback: a real control server and agent processes
 * (mesh-harness.ts), and Debian's real Prometheus scraping the agents it finds through the control
 * server's http_sd. The Canary's only metric is the template's query (5xx answers of the canary
 * workload over 30s, `or vector(0)` so that no error is 0 rather than no value): it passes while
 * the canary has served nothing, then the canary's 500s reach Prometheus and the analysis rolls back.
 * The test drives the ticks itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { EchoApp, type RunningAgent } from '../agent/agent-harness.ts';
import { callsThrough, LoopbackMesh, type MeshWorkload } from '../agent/mesh-harness.ts';
import { runPrometheusQuery } from '../../../control/canary/metric-template.ts';
import { waitFor } from '../../support/wait-for.ts';
import { freePort, HostPrometheus } from '../../support/host-prometheus.ts';
import type { CanaryStatusView } from '../../../wire/types.ts';
import { API_CANARY_HEAD } from '../../support/canary-controller.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.2' };
const API1: MeshWorkload = { name: 'api-1', address: '127.0.0.3', labels: { version: 'v1' } };
const API2: MeshWorkload = { name: 'api-2', address: '127.0.0.4', labels: { version: 'v2', 'dockmesh.canary': 'true' } };

/** The harness names every api replica's workload `api`; the primary only answers 200, so the 5xx are the canary's. */
const QUERY = 'sum(increase(istio_requests_total{reporter="destination", destination_workload="{{ target }}", response_code=~"{{ variables.codes }}"}[{{ interval }}])) or vector(0)';
const MESHFILE = (promPort: number) => `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: canary-errors}
spec:
  provider: {type: prometheus, address: "http://127.0.0.1:${promPort}"}
  query: |
    ${QUERY}
---
${API_CANARY_HEAD}  service:
    port: 8080
    retries: {attempts: 0}
  analysis:
    interval: 1m
    threshold: 1
    maxWeight: 75
    stepWeight: 25
    metrics:
    - name: canary 5xx
      templateRef: {name: canary-errors}
      templateVariables: {codes: "5.."}
      thresholdRange: {max: 0}
      interval: 30s
`;

let mesh: LoopbackMesh;
let v1: EchoApp;
let broken: http.Server;
let web: RunningAgent;
const prom = new HostPrometheus();
let promUrl = '';
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** `n` GETs through web's agent; who answered (x-app), or the status when it was not 200. */
const calls = (n: number): Promise<Record<string, number>> => callsThrough(web, WEB.address, 'api', n, keepAlive);

async function step(): Promise<CanaryStatusView> {
  await mesh.server.canaries.tickAll();
  return mesh.server.canaries.list()[0]!;
}

test.before(async () => {
  v1 = await new EchoApp('v1').listen('127.0.0.1');
  const port = v1.port;
  broken = http.createServer((_req, res) => res.writeHead(500, { 'x-app': 'v2' }).end('broken'));
  await new Promise<void>((r) => broken.listen(port, '127.0.0.6', () => r()));
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API1, API2], meshfile: MESHFILE(promPort), canaryIntervalMs: 3_600_000 });
  const api1 = await mesh.agent(API1, ['--inbound', `${port}=${port}`]);
  const api2 = await mesh.agent(API2, ['--app-host', '127.0.0.6', '--inbound', `${port}=${port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${port}=0`]);
  await Promise.all([api1, api2, web].map((a) => mesh.ready(a)));
  await mesh.untilConfig(web, (v) => (v.snapshot?.services.find((s) => s.name === 'api')?.endpoints.filter((e) => e.meshed).length ?? 0) === 2, 'both api endpoints meshed');
  await prom.start(mesh.url, promPort);
  await waitFor(async () => {
    const active = await prom.targets();
    return active.length === 3 && active.every((t) => t.health === 'up');
  }, 30_000, 'prometheus scraping the three agents', 250);
});

test.after(async () => {
  prom.stop();
  keepAlive.destroy();
  await mesh?.close();
  await v1?.close();
  broken?.closeAllConnections();
  broken?.close();
});

test('the template\'s query passes while the canary has served no 5xx; its 500s, once Prometheus has them, fail it and roll back', async () => {
  assert.equal((await step()).phase, 'Progressing');
  assert.is((await step()).canaryWeight, 25, 'the first step is not checked');
  const s1 = await step();
  assert.equal([s1.phase, s1.canaryWeight, s1.checks.map((c) => [c.metric, c.value, c.ok])], ['Progressing', 50, [['canary 5xx', 0, true]]]);
  // In two rounds, as traffic that goes on: Prometheus' increase() counts from a series' first
  // scrape, so 500s answered before the canary's 500 series was first scraped count for nothing.
  const seen = await calls(20);
  assert.ok((seen['500'] ?? 0) >= 5, JSON.stringify(seen));
  await waitFor(async () => ((await runPrometheusQuery(promUrl, 'count(istio_requests_total{reporter="destination",response_code="500"})')) ?? 0) > 0, 30_000, 'the canary\'s 500 series scraped', 250);
  await calls(20);
  const rendered = QUERY.replace('{{ target }}', 'api').replace('{{ variables.codes }}', '5..').replace('{{ interval }}', '30s');
  await waitFor(async () => ((await runPrometheusQuery(promUrl, rendered)) ?? 0) > 0, 30_000, 'the canary\'s new 5xx in Prometheus', 250);
  const s2 = await step();
  assert.equal([s2.canaryWeight, s2.failedChecks], [50, 1]);
  assert.ok(s2.checks[0]!.value! > 0 && !s2.checks[0]!.ok, JSON.stringify(s2.checks));
  assert.match(s2.message, /halt advancement: canary 5xx \d+(\.\d+)? > 0/);
  const s3 = await step();
  assert.equal([s3.phase, s3.canaryWeight], ['Failed', 0]);
  assert.equal(await calls(10), { v1: 10 });
});

test('runPrometheusQuery: a failing query is an error with Prometheus\' answer; credentials in the address go as basic auth; the API under the address\'s path', async () => {
  const failed = await runPrometheusQuery(promUrl, 'sum((').then(() => undefined, (err: Error) => err.message);
  assert.match(String(failed), /^error response: 400 .*parse error/);
  let auth: string | undefined;
  let url: string | undefined;
  const s = http.createServer((req, res) => {
    auth = req.headers.authorization;
    url = req.url;
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1.5'] }] } }));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    const port = (s.address() as { port: number }).port;
    assert.is(await runPrometheusQuery(`http://flagger:s3cret@127.0.0.1:${port}/prom/`, 'sum(\n  up\n)'), 1.5);
    assert.is(auth, `Basic ${Buffer.from('flagger:s3cret').toString('base64')}`);
    assert.is(url, '/prom/api/v1/query?query=sum%28+up+%29', 'under the address\'s path; whitespace runs as one space');
  } finally {
    s.close();
  }
});

test.run();
