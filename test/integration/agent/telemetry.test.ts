/**
 * Istio Telemetry end to end on loopback: a real control server compiles the meshfile's Telemetry
 * documents into each agent's snapshot, real agents apply them (process mode), spans go to a
 * loopback OTLP receiver and access log lines to the agents' stdout. web → api; the api workload's
 * Telemetry turns off its SERVER spans, its inbound access log and its inbound request-size metric;
 * a namespace Telemetry samples none of web's new client traces and overrides the labels of the
 * request count (a label read from the request, one removed); a meshfile change puts things back
 * (hot reload).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';
import { waitFor } from '../../support/wait-for.ts';
import { EchoApp, type RunningAgent } from './agent-harness.ts';
import { LoopbackMesh, type MeshWorkload } from './mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.11', labels: { tier: 'frontend' } };
const API: MeshWorkload = { name: 'api', address: '127.0.0.12', labels: { tier: 'backend' } };

let receiver: OtlpReceiver;
let mesh: LoopbackMesh;
let app: EchoApp;
let web: RunningAgent;
let api: RunningAgent;

const meshDoc = () => `apiVersion: dockmesh.dev/v1
kind: Mesh
spec:
  tracing: {endpoint: "${receiver.url}", protocol: http/json}
`;

const QUIET_API = `---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - randomSamplingPercentage: 100
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: api-quiet, namespace: default}
spec:
  selector:
    matchLabels: {tier: backend}
  tracing:
  - match: {mode: SERVER}
    disableSpanReporting: true
  accessLogging:
  - match: {mode: SERVER}
    disabled: true
  metrics:
  - overrides:
    - match: {metric: REQUEST_SIZE, mode: SERVER}
      disabled: true
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: namespace-default, namespace: default}
spec:
  tracing:
  - match: {mode: CLIENT}
    randomSamplingPercentage: 0
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: REQUEST_COUNT, mode: CLIENT}
      tagOverrides:
        request_host: {value: request.host}
        request_protocol: {operation: REMOVE}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: web-tags, namespace: default}
spec:
  selector:
    matchLabels: {tier: frontend}
  tracing:
  - match: {mode: CLIENT}
    enableIstioTags: false
    customTags:
      team: {literal: {value: storefront}}
      region: {environment: {name: DOCKMESH_TEST_REGION, defaultValue: unknown}}
      stage: {environment: {name: DOCKMESH_TEST_STAGE, defaultValue: dev}}
      zone: {environment: {name: DOCKMESH_TEST_UNSET_ZONE}}
      user: {header: {name: X-User}}
      plan: {header: {name: x-plan, defaultValue: free}}
      tenant: {header: {name: x-tenant}}
  accessLogging:
  - match: {mode: CLIENT}
    filter: {expression: "response.code >= 400 || request.path.startsWith('/keep') || request.headers['x-keep'] == 'yes'"}
`;

test.before(async () => {
  // The agents inherit the test's environment: an environment tag reads the agent's own (as Envoy's).
  process.env.DOCKMESH_TEST_REGION = 'eu-west';
  delete process.env.DOCKMESH_TEST_STAGE;
  delete process.env.DOCKMESH_TEST_UNSET_ZONE;
  receiver = await new OtlpReceiver().listen();
  app = await new EchoApp('api').listen('127.0.0.1');
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API] });
  mesh.setMeshfile(meshDoc() + QUIET_API);
  api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`]);
  web = await mesh.agent(WEB, ['--outbound', `api:${app.port}=0`]);
  await Promise.all([api, web].map((a) => mesh.ready(a)));
  await mesh.untilMeshed([web], 'api');
});

test.after(async () => {
  await mesh?.close();
  await app?.close();
  await receiver?.close();
});

/**
 * One request from web's app through both agents; `traceparent` given or not. Returns the request id.
 * The path starts with /keep unless given: web's access-log filter keeps those lines and errors.
 */
function call(traceparent?: string, path = '/keep/t', status = 200, extra: Record<string, string> = {}): Promise<string> {
  const port = Object.values(web.ports.outbound)[0]!;
  const id = randomBytes(8).toString('hex');
  const headers: Record<string, string> = { host: 'api', 'x-request-id': id, 'x-user': 'alice', ...extra };
  if (traceparent) headers.traceparent = traceparent;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: WEB.address, port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === status ? resolve(id) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const logged = (a: RunningAgent, id: string) => a.stdoutLines.some((l) => (JSON.parse(l) as { request_id?: string }).request_id === id);
const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};

test('the workload Telemetry: api reports no SERVER spans and writes no inbound lines; web still does its part', async () => {
  const t = newTraceparent();
  const id = await call(t.header);
  await waitFor(() => receiver.trace(t.traceId).length >= 1 && logged(web, id), 10_000, "web's span and line");
  await new Promise((r) => setTimeout(r, 1200)); // past the agents' export and log intervals
  const spans = receiver.trace(t.traceId);
  assert.equal(spans.map((s) => s.kind).sort(), [3], 'only the CLIENT span of web (kind 3), no SERVER span (kind 2) of api');
  assert.is(spans[0]!.resource['service.name'], 'web');
  // web's workload Telemetry: literal, environment and request-header tags on its CLIENT spans (an
  // unset variable or absent header without a default adds nothing), on top of the namespace's
  // sampling (field by field).
  const a = spans[0]!.attributes;
  assert.equal([a.team, a.region, a.stage, 'zone' in a], ['storefront', 'eu-west', 'dev', false]);
  assert.equal([a.user, a.plan, 'tenant' in a], ['alice', 'free', false]);
  // enableIstioTags: false on web's CLIENT spans: no istio.* attributes, the others stay.
  assert.equal(Object.keys(a).filter((k) => k.startsWith('istio.')), []);
  assert.is(a.component, 'proxy');
  assert.ok(logged(web, id), 'web logs its outbound request');
  assert.not.ok(logged(api, id), 'api logs no inbound request');
});

test('the namespace Telemetry: new traces started by web are sampled at 0%, and api honours that decision', async () => {
  const before = receiver.spans.length;
  const ids = await Promise.all([1, 2, 3, 4, 5].map(() => call()));
  await waitFor(() => ids.every((id) => logged(web, id)), 5000, 'web logged the requests');
  await new Promise((r) => setTimeout(r, 1200));
  assert.is(receiver.spans.length, before, 'no span at all');
  // The access log still carries each request's trace id (the context is propagated, unsampled).
  const line = web.stdoutLines.map((l) => JSON.parse(l) as { request_id?: string; trace_id?: string }).find((e) => e.request_id === ids[0]);
  assert.match(String(line?.trace_id), /^[0-9a-f]{32}$/);
});

test("web's access-log filter (CEL): a 200 outside /keep is not logged, an error or a request with x-keep: yes is", async () => {
  const dropped = await call(undefined, '/drop');
  const kept = await call(undefined, '/keep/again');
  const byHeader = await call(undefined, '/drop', 200, { 'x-keep': 'yes' });
  // A fault on api (as `mesh fault api --abort 503`): web's agent answers 503 itself.
  mesh.server.faults.set('api', { abort: { httpStatus: 503, percent: 100 } }, 10_000);
  await mesh.untilConfig(web, (v) => JSON.stringify(v.snapshot?.services.find((x) => x.name === 'api') ?? {}).includes('"httpStatus":503'), 'the fault applied');
  const error = await call(undefined, '/drop', 503);
  mesh.server.faults.clear('api');
  await mesh.untilConfig(web, (v) => !JSON.stringify(v.snapshot?.services.find((x) => x.name === 'api') ?? {}).includes('"httpStatus":503'), 'the fault cleared');
  await waitFor(() => logged(web, error) && logged(web, kept) && logged(web, byHeader), 5000, 'the kept lines (a path, an error, a header)');
  await new Promise((r) => setTimeout(r, 300)); // past the log's 50 ms batches
  assert.not.ok(logged(web, dropped), 'a 200 on /drop is filtered out');
});

const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

test('the metric overrides: web\'s request count has request_host and no request_protocol; api reports no inbound request size', async () => {
  await call();
  let webText = '';
  await waitFor(async () => series((webText = await mesh.metrics(web)), 'istio_requests_total').length > 0, 5000, "web's request count");
  const count = series(webText, 'istio_requests_total');
  assert.ok(count.every((l) => l.includes('reporter="source"') && l.includes('request_host="api"') && !l.includes('request_protocol=')), count.join('\n'));
  // web's other metrics keep Istio's labels.
  assert.ok(series(webText, 'istio_request_duration_milliseconds_count').every((l) => l.includes('request_protocol="http"') && !l.includes('request_host=')));
  const apiText = await mesh.metrics(api);
  assert.ok(series(apiText, 'istio_requests_total').some((l) => l.includes('reporter="destination"') && l.includes('request_protocol="http"')));
  assert.is(series(apiText, 'istio_request_bytes_count').length, 0, 'no inbound request size series');
  assert.ok(series(apiText, 'istio_response_bytes_count').length > 0);
});

test('a meshfile without the Telemetry documents: api reports SERVER spans and logs again, web samples new traces (hot reload)', async () => {
  mesh.setMeshfile(meshDoc());
  for (const a of [web, api]) {
    await mesh.untilConfig(a, (v) => v.snapshot?.mesh.tracing?.inbound === undefined && v.snapshot?.mesh.accessLog === undefined && v.snapshot?.mesh.metrics === undefined, 'Telemetry gone');
  }
  const t = newTraceparent();
  const id = await call(t.header);
  await waitFor(() => receiver.trace(t.traceId).length >= 2 && logged(api, id), 10_000, 'both spans and api\'s line');
  assert.equal(receiver.trace(t.traceId).map((s) => s.kind).sort(), [2, 3]);
  const fresh = await call();
  await waitFor(() => receiver.spans.some((s) => s.attributes['guid:x-request-id'] === fresh), 10_000, 'a span of a new trace started by web');
  // Istio's labels again for new requests (the series made under the overrides keep their counts).
  assert.ok(series(await mesh.metrics(web), 'istio_requests_total').some((l) => l.includes('request_protocol="http"') && !l.includes('request_host=')));
  assert.ok(series(await mesh.metrics(api), 'istio_request_bytes_count').some((l) => l.includes('reporter="destination"')));
});

test.run();
