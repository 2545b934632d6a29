import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSnapshot, meshfileContext } from '../../../control/compile/snapshot.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { hostLookup } from '../../../control/meshfile/host-resolver.ts';
import { EndpointRegistry } from '../../../control/registry/endpoint-registry.ts';
import { workload } from '../../support/workloads.ts';
import { buildCookie, type CanaryRouting } from '../../../control/compile/canary-routes.ts';
import { withSessionCookies } from '../../../control/canary/session-cookies.ts';
import { initialState, type CanaryState } from '../../../control/canary/canary-analysis.ts';
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

function compile(text: string, withCanary: boolean, canaries?: Map<string, CanaryRouting>) {
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

test('service.trafficPolicy: the primary and canary subsets take it (Flagger\'s DestinationRules for both), in place of the host\'s DestinationRule; tls warns', () => {
  const dr = `---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api}\nspec:\n  host: api\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n`;
  const withPolicy = CANARY.replace('    timeout: 2s\n', '    timeout: 2s\n    trafficPolicy:\n      loadBalancer: {simple: ROUND_ROBIN}\n      outlierDetection: {consecutive5xxErrors: 2}\n      tls: {mode: ISTIO_MUTUAL}\n');
  const api = compile(withPolicy + dr, true);
  const want = { loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5xxErrors: 2, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0 } };
  assert.equal(api.subsets!.map((x) => [x.name, x.policy]), [['api-primary', want], ['api-canary', want]]);
  assert.equal(api.policy, { loadBalancer: { simple: 'RANDOM' } }, 'the host keeps its own policy');
  assert.equal(compile(CANARY + dr, true).subsets!.map((x) => x.policy), [{ loadBalancer: { simple: 'RANDOM' } }, { loadBalancer: { simple: 'RANDOM' } }], 'without it, the host\'s');
  const warnings = loadMeshfile(withPolicy, 'mesh.yaml').diagnostics.map((d) => `${d.code} ${d.path}`);
  assert.equal(warnings, ['MESH_WARN_UNSUPPORTED_FIELD spec.service.trafficPolicy.tls']);
  const bad = loadMeshfile(CANARY.replace('    timeout: 2s\n', '    timeout: 2s\n    trafficPolicy: {outlierDetection: {maxEjectionPercent: 150}}\n'), 'mesh.yaml').diagnostics;
  assert.ok(bad.some((d) => d.code === 'MESH_ERR_OUT_OF_RANGE' && d.path === 'spec.service.trafficPolicy.outlierDetection.maxEjectionPercent'));
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

const AFFINITY = CANARY.replace('    stepWeight: 10\n', '    stepWeight: 10\n    sessionAffinity:\n      cookieName: flagger-cookie\n      primaryCookieName: primary-cookie\n      maxAge: 21600\n');

test('session affinity while the canary has a weight: the canary cookie\'s route first, then the primary cookie\'s, then the weighted route whose destinations set them (Flagger\'s Istio routes)', () => {
  const cookies = { canary: 'flagger-cookie=LpsIaLdoNZ', primary: 'primary-cookie=ApvLdqCoMF', primaryStep: 30 };
  const api = compile(AFFINITY, true, new Map([['api.default', { canaryWeight: 30, abTesting: false, cookies }]]));
  assert.equal(api.http!.map((h) => h.name), ['canary-session', 'primary-session', 'primary']);
  const [canary, primary, weighted] = api.http!;
  assert.equal(canary!.match.map((m) => m.headers), [{ cookie: { regex: '.*flagger-cookie.*LpsIaLdoNZ.*' } }]);
  assert.equal(canary!.route!.map((d) => [d.destination.subset, d.weight]), [['api-primary', 0], ['api-canary', 100]]);
  assert.equal(primary!.route!.map((d) => [d.destination.subset, d.weight]), [['api-primary', 100], ['api-canary', 0]]);
  assert.equal(primary!.match.map((m) => m.headers), [{ cookie: { regex: '.*primary-cookie.*ApvLdqCoMF.*' } }]);
  assert.equal(weighted!.route!.map((d) => [d.destination.subset, d.weight, d.headers?.response?.add]), [
    ['api-primary', 70, { 'set-cookie': 'primary-cookie=ApvLdqCoMF; Max-Age=10' }],
    ['api-canary', 30, { 'set-cookie': 'flagger-cookie=LpsIaLdoNZ; Max-Age=21600' }],
  ]);
  for (const h of api.http!) assert.equal([h.timeoutMs, h.retries?.attempts], [2000, 3], 'the service\'s timeout and retries on every route');
});

test('session affinity at weight 0: requests with the last run\'s cookie get it back with Max-Age=-1; no cookie without a run; A/B testing routes on its own matches', () => {
  const expired = compile(AFFINITY, true, new Map([['api.default', { canaryWeight: 0, abTesting: false, cookies: { previous: 'flagger-cookie=LpsIaLdoNZ' } }]]));
  assert.equal(expired.http!.map((h) => h.name), ['canary-session-expired', 'primary']);
  assert.equal(expired.http![0]!.headers?.response?.add, { 'set-cookie': 'flagger-cookie=LpsIaLdoNZ; Max-Age=-1' });
  assert.equal(expired.http![0]!.route!.map((d) => d.weight), [100, 0]);
  assert.equal(expired.http![1]!.route!.map((d) => d.headers), [undefined, undefined]);
  const none = compile(AFFINITY, true, new Map([['api.default', { canaryWeight: 0, abTesting: false, cookies: {} }]]));
  assert.equal(none.http!.map((h) => h.name), ['primary']);
  const ab = compile(AFFINITY.replace('    stepWeight: 10\n', '    iterations: 2\n    match:\n    - headers: {x-canary: {exact: insider}}\n'), true, new Map([['api.default', { canaryWeight: 0, abTesting: true, cookies: { previous: 'flagger-cookie=x' } }]]));
  assert.equal(ab.http!.map((h) => h.name), ['canary', 'primary']);
});

test('session affinity with service.match: the cookie takes the place of each condition\'s headers (Flagger\'s mergeMatchConditions); names are matched literally', () => {
  const text = AFFINITY.replace('    timeout: 2s\n', '    timeout: 2s\n    match:\n    - uri: {prefix: /api}\n    - uri: {prefix: /v2}\n      headers: {x-team: {exact: a}}\n').replace('flagger-cookie', 'my.cookie');
  const api = compile(text, true, new Map([['api.default', { canaryWeight: 10, abTesting: false, cookies: { canary: 'my.cookie=abc' } }]]));
  const sticky = api.http![0]!;
  assert.equal(sticky.match.map((m) => [m.uri, m.headers]), [
    [{ prefix: '/api' }, { cookie: { regex: '.*my\\.cookie.*abc.*' } }],
    [{ prefix: '/v2' }, { cookie: { regex: '.*my\\.cookie.*abc.*' } }],
  ]);
});

test('buildCookie: Max-Age, then the attributes set', () => {
  assert.is(buildCookie({ cookieName: 'c' }, 'c=v', 300), 'c=v; Max-Age=300');
  assert.is(
    buildCookie({ cookieName: 'c', domain: 'flagger.app', httpOnly: true, partitioned: true, path: '/app', sameSite: 'Strict', secure: true }, 'c=v', 300),
    'c=v; Max-Age=300; Domain=flagger.app; HttpOnly; Partitioned; Path=/app; SameSite=Strict; Secure',
  );
});

test('session cookies over a run: one canary cookie for the run, a primary cookie per step (none at 100), the canary cookie expired when the weight is back at 0, carried over a fresh state', () => {
  const sa = { cookieName: 'c', primaryCookieName: 'p' };
  let n = 0;
  const mint = () => `v${++n}`;
  const at = (s: CanaryState, canaryWeight: number): CanaryState => ({ ...s, canaryWeight });
  let s = withSessionCookies(sa, initialState(0), at(initialState(0), 0), mint);
  assert.is(s.cookies, undefined);
  const step1 = withSessionCookies(sa, s, at(s, 10), mint);
  assert.equal(step1.cookies, { canary: 'c=v1', primary: 'p=v2', primaryStep: 10 });
  assert.is(withSessionCookies(sa, step1, step1, mint), step1, 'the same step: the same cookies');
  const step2 = withSessionCookies(sa, step1, at(step1, 20), mint);
  assert.equal(step2.cookies, { canary: 'c=v1', primary: 'p=v3', primaryStep: 20 });
  const promoted = withSessionCookies(sa, step2, at(step2, 100), mint);
  assert.equal(promoted.cookies, { canary: 'c=v1' });
  const rolledBack = withSessionCookies(sa, step2, at(step2, 0), mint);
  assert.equal(rolledBack.cookies, { previous: 'c=v1' });
  const again = withSessionCookies(sa, rolledBack, at(rolledBack, 10), mint);
  assert.equal(again.cookies, { previous: 'c=v1', canary: 'c=v4', primary: 'p=v5', primaryStep: 10 });
  assert.equal(withSessionCookies(sa, again, at(again, 0), mint).cookies, { previous: 'c=v4' }, 'a new run\'s cookie replaces the older previous one');
  assert.equal(withSessionCookies(sa, promoted, initialState(5), mint).cookies, { previous: 'c=v1' }, 'the canary replicas gone (a fresh state): the cookie is expired, not forgotten');
  assert.is(withSessionCookies(undefined, step1, at(step1, 10), mint).cookies, undefined, 'sessionAffinity removed: no cookies');
  s = withSessionCookies({ cookieName: 'c' }, initialState(0), at(initialState(0), 10), mint);
  assert.equal(s.cookies, { canary: 'c=v6' });
});

test.run();
