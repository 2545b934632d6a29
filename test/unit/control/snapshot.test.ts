import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSnapshot } from '../../../control/compile/snapshot.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { EndpointRegistry } from '../../../control/registry/endpoint-registry.ts';
import { workload } from '../../support/workloads.ts';

function registry() {
  const r = new EndpointRegistry();
  const web = workload('web', { addresses: { net: '10.0.0.2' } });
  const v1 = workload('api-v1', { service: 'api', workload: 'api-v1', labels: { version: 'v1', 'com.docker.compose.config-hash': 'x' }, addresses: { net: '10.0.0.3' }, aliases: ['api', 'api-v1'] });
  const v2 = workload('api-v2', { service: 'api', workload: 'api-v2', labels: { version: 'v2' }, addresses: { net: '10.0.0.4' }, aliases: ['api', 'api-v2'] });
  const lonely = workload('db', { addresses: { other: '10.9.0.2' } });
  r.setWorkloads([web, v1, v2, lonely]);
  for (const w of [web, v1, v2]) {
    r.report(w.container, { ports: [8080], ready: true, configVersion: 0 });
    r.agent(w.container).connected = true;
  }
  return { r, web, v1, v2 };
}

test('services group replicas of one logical service with hosts and ports', () => {
  const { r, web } = registry();
  const snap = compileSnapshot(web, r.view());
  const api = snap.services.find((s) => s.name === 'api')!;
  assert.equal(api.ports, [8080]);
  assert.equal(api.endpoints.map((e) => e.address), ['10.0.0.3', '10.0.0.4']);
  assert.ok(api.hosts.includes('api.default.svc.cluster.local'));
  assert.ok(api.hosts.includes('api.default'));
  assert.ok(api.hosts.includes('api-v1'));
  assert.equal(api.endpoints[0]!.labels, { version: 'v1' }, 'compose bookkeeping labels are dropped');
  assert.ok(api.endpoints.every((e) => e.meshed));
});

test('an endpoint on no shared network is left out; a service without reported ports has none', () => {
  const { r, web } = registry();
  const snap = compileSnapshot(web, r.view());
  const db = snap.services.find((s) => s.name === 'db')!;
  assert.equal(db.endpoints, []);
});

test('the hash is stable for equal input and changes with endpoints', () => {
  const { r, web, v2 } = registry();
  const a = compileSnapshot(web, r.view());
  const b = compileSnapshot(web, r.view());
  assert.is(a.hash, b.hash);
  r.report(v2.container, { ports: [8080, 9090], ready: true, configVersion: 0 });
  assert.is.not(compileSnapshot(web, r.view()).hash, a.hash);
});

test('tracing: the Mesh document\'s endpoint, sampling (default 100) and encoding (default http/protobuf); none without an endpoint', () => {
  const { r, web } = registry();
  const mesh = (tracing: string) => loadMeshfile(`apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing: ${tracing}\n`, 'mesh.yaml').spec;
  assert.is(compileSnapshot(web, r.view()).mesh.tracing, undefined, 'no meshfile');
  assert.equal(compileSnapshot(web, r.view(), { spec: mesh('{endpoint: "http://jaeger:4318/v1/traces"}') }).mesh.tracing, { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 100, protocol: 'http/protobuf' });
  assert.equal(compileSnapshot(web, r.view(), { spec: mesh('{endpoint: "http://jaeger:4318/v1/traces", samplingPercent: 5, protocol: http/json}') }).mesh.tracing, { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 5, protocol: 'http/json' });
  assert.is(compileSnapshot(web, r.view(), { spec: mesh('{samplingPercent: 5}') }).mesh.tracing, undefined);
  const bad = loadMeshfile('apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing: {endpoint: "grpc://jaeger:4317"}\n', 'mesh.yaml');
  assert.equal(bad.diagnostics.map((d) => [d.code, d.path]), [['MESH_ERR_BAD_VALUE', 'spec.tracing.endpoint']]);
  const badProtocol = loadMeshfile('apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing:\n    endpoint: "http://jaeger:4318/v1/traces"\n    protocol: grpc\n', 'mesh.yaml');
  assert.equal(badProtocol.diagnostics.map((d) => [d.code, d.path, d.line]), [['MESH_ERR_BAD_ENUM', 'spec.tracing.protocol', 6]]);
});

test('tracing: the bundled collector is the default endpoint; the Mesh document\'s endpoint wins, its sampling and encoding apply to either', () => {
  const { r, web } = registry();
  const mesh = (tracing: string) => loadMeshfile(`apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing: ${tracing}\n`, 'mesh.yaml').spec;
  const jaeger = 'http://shop-mesh-jaeger:4318/v1/traces';
  assert.equal(compileSnapshot(web, r.view(), { defaultTracingEndpoint: jaeger }).mesh.tracing, { endpoint: jaeger, samplingPercent: 100, protocol: 'http/protobuf' }, 'no meshfile');
  assert.equal(compileSnapshot(web, r.view(), { defaultTracingEndpoint: jaeger, spec: mesh('{samplingPercent: 5, protocol: http/json}') }).mesh.tracing, { endpoint: jaeger, samplingPercent: 5, protocol: 'http/json' });
  assert.equal(compileSnapshot(web, r.view(), { defaultTracingEndpoint: jaeger, spec: mesh('{endpoint: "http://otel:4318/v1/traces"}') }).mesh.tracing?.endpoint, 'http://otel:4318/v1/traces');
});

test('a DestinationRule with a workloadSelector is in the snapshots of the clients it selects only', () => {
  const { r, web, v1 } = registry();
  const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api-from-v1}\nspec:\n  host: api\n  workloadSelector: {matchLabels: {version: v1}}\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n';
  const spec = loadMeshfile(text, 'mesh.yaml').spec;
  const policyFrom = (self: typeof web) => compileSnapshot(self, r.view(), { spec }).services.find((s) => s.name === 'api')!.policy;
  assert.equal(policyFrom(v1), { loadBalancer: { simple: 'RANDOM' } }, 'api-v1 (version: v1) calling api');
  assert.is(policyFrom(web), undefined, 'web: no DestinationRule');
});

test('self carries identity and labels', () => {
  const { r, v1 } = registry();
  const snap = compileSnapshot(v1, r.view());
  assert.is(snap.self.service, 'api');
  assert.is(snap.self.workload, 'api-v1');
  assert.equal(snap.self.labels, { version: 'v1' });
});

test('an agent that is not connected makes its endpoint unmeshed', () => {
  const { r, web, v1 } = registry();
  r.agent(v1.container).connected = false;
  const api = compileSnapshot(web, r.view()).services.find((s) => s.name === 'api')!;
  assert.equal(api.endpoints.map((e) => e.meshed), [false, true]);
});

test.run();
