import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSnapshot, meshfileContext } from '../../../control/compile/snapshot.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { hostLookup } from '../../../control/meshfile/host-resolver.ts';
import { EndpointRegistry } from '../../../control/registry/endpoint-registry.ts';
import { workload } from '../../support/workloads.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CANARY = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  service:
    port: 8080
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: 5xx}
  analysis:
    interval: 10s
    threshold: 2
    maxWeight: 50
    stepWeight: 10
`;

function registry(withCanary = true) {
  const r = new EndpointRegistry();
  const web = workload('web', { addresses: { net: '10.0.0.2' } });
  const v1 = workload('api-v1', { service: 'api', workload: 'api-v1', labels: { version: 'v1' }, addresses: { net: '10.0.0.3' } });
  const v2 = workload('api-v2', { service: 'api', workload: 'api-v2', labels: { version: 'v2', 'dockmesh.canary': 'true' }, addresses: { net: '10.0.0.4' } });
  const all = withCanary ? [web, v1, v2] : [web, v1];
  r.setWorkloads(all);
  for (const w of all) r.report(w.container, { ports: [8080], ready: true, configVersion: 0 });
  return { r, web };
}

function compile(text: string, withCanary: boolean, canaries?: Map<string, { canaryWeight: number; abTesting: boolean }>) {
  const { r, web } = registry(withCanary);
  const view = r.view();
  const loaded = loadMeshfile(text, 'mesh.yaml', meshfileContext(view));
  assert.equal(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  return compileSnapshot(web, view, { spec: loaded.spec, lookup: hostLookup(meshfileContext(view)), canaries }).services.find((s) => s.name === 'api')!;
}

test('a Canary target: primary and canary subsets, primary endpoints labelled, weights as the controller says', () => {
  const api = compile(CANARY, true, new Map([['api.default', { canaryWeight: 30, abTesting: false }]]));
  assert.equal(api.subsets!.map((s) => [s.name, s.labels]), [['api-primary', { 'dockmesh.canary': 'false' }], ['api-canary', { 'dockmesh.canary': 'true' }]]);
  assert.equal(api.endpoints.map((e) => e.labels['dockmesh.canary']), ['false', 'true']);
  assert.is(api.http!.length, 1);
  const route = api.http![0]!;
  assert.equal(route.route!.map((d) => [d.destination.subset, d.weight]), [['api-primary', 70], ['api-canary', 30]]);
  assert.is(route.timeoutMs, 2000);
  assert.equal(route.retries, { attempts: 3, retryOn: ['5xx'], perTryTimeoutMs: 500 });
});

test('before the controller decides: everything to the primary; Istio\'s default retries when service.retries is absent', () => {
  const api = compile(CANARY.replace(/    retries:.*\n/, ''), true);
  assert.equal(api.http![0]!.route!.map((d) => d.weight), [100, 0]);
  assert.equal(api.http![0]!.retries!.attempts, 2);
});

test('no canary replicas: the primary gets everything whatever the weight; no primary replicas: the canary does', () => {
  const api = compile(CANARY, false, new Map([['api.default', { canaryWeight: 40, abTesting: false }]]));
  assert.equal(api.http![0]!.route!.map((d) => d.weight), [100, 0]);
  const { r, web } = registry(true);
  const full = r.view();
  const onlyCanary = { ...full, workloads: full.workloads.filter((w) => w.workload !== 'api-v1') };
  const loaded = loadMeshfile(CANARY, 'mesh.yaml', meshfileContext(onlyCanary));
  const snap = compileSnapshot(web, onlyCanary, { spec: loaded.spec, lookup: hostLookup(meshfileContext(onlyCanary)) });
  assert.equal(snap.services.find((s) => s.name === 'api')!.http![0]!.route!.map((d) => d.weight), [0, 100]);
});

test('A/B testing: while on, requests matching analysis.match go to the canary first', () => {
  const ab = CANARY.replace('    maxWeight: 50\n    stepWeight: 10\n', '    iterations: 3\n    match:\n    - headers:\n        x-canary: {exact: insider}\n');
  const on = compile(ab, true, new Map([['api.default', { canaryWeight: 0, abTesting: true }]]));
  assert.equal(on.http!.map((h) => h.name), ['canary', 'primary']);
  assert.equal(on.http![0]!.match, [{ headers: { 'x-canary': { exact: 'insider' } } }]);
  assert.equal(on.http![0]!.route!.map((d) => [d.destination.subset, d.weight]), [['api-canary', 100]]);
  const off = compile(ab, true, new Map([['api.default', { canaryWeight: 0, abTesting: false }]]));
  assert.equal(off.http!.map((h) => h.name), ['primary']);
});

test('mirroring: the weighted route mirrors to the canary at mirrorWeight', () => {
  const bg = CANARY.replace('    maxWeight: 50\n    stepWeight: 10\n', '    iterations: 3\n    mirror: true\n    mirrorWeight: 40\n');
  const on = compile(bg, true, new Map([['api.default', { canaryWeight: 0, abTesting: false, mirrored: true }]]));
  assert.equal(on.http![0]!.mirrors, [{ destination: { service: 'api', namespace: 'default', subset: 'api-canary' }, percent: 40 }]);
  assert.equal(on.http![0]!.route!.map((d) => d.weight), [100, 0]);
  const off = compile(bg, true, new Map([['api.default', { canaryWeight: 0, abTesting: false, mirrored: false }]]));
  assert.is(off.http![0]!.mirrors, undefined);
});

test('other services are untouched by a Canary', () => {
  const { r, web } = registry(true);
  const view = r.view();
  const loaded = loadMeshfile(CANARY, 'mesh.yaml', meshfileContext(view));
  const snap = compileSnapshot(web, view, { spec: loaded.spec, lookup: hostLookup(meshfileContext(view)) });
  const webSvc = snap.services.find((s) => s.name === 'web')!;
  assert.is(webSvc.http, undefined);
  assert.is(webSvc.subsets, undefined);
});

test('examples/shop/mesh.canary.yaml is clean for the shop', () => {
  const { r } = registry(true);
  const text = readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', 'shop', 'mesh.canary.yaml'), 'utf8');
  const loaded = loadMeshfile(text, 'mesh.canary.yaml', meshfileContext(r.view()));
  assert.equal(loaded.diagnostics, []);
  assert.equal(loaded.spec.canaries.map((c) => c.spec.targetRef.name), ['api']);
});

test.run();
