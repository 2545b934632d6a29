/** control/compile/routes.ts: Istio's defaults filled in, merges, determinism, speed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileServiceRoutes } from '../../../control/compile/routes.ts';
import { hostLookup } from '../../../control/meshfile/host-resolver.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { syntheticMeshfile } from '../../../control/meshfile/synthetic-meshfile.ts';
import { FIXTURES } from './fixture-corpus.ts';

const lookup = hostLookup();

/** Compiles `service` (in `namespace`) for a client in `clientNamespace` (by default the service's). */
function compileText(text: string, service: string, namespace = 'default', clientNamespace = namespace) {
  const r = loadMeshfile(text, 'test.yaml');
  assert.ok(r.valid, JSON.stringify(r.diagnostics));
  return compileServiceRoutes(r.spec, { name: service, namespace, hosts: [service] }, lookup, undefined, { namespace: clientNamespace, labels: {} });
}

function compileFixture(name: string, service: string, namespace = 'default', clientNamespace = namespace) {
  return compileText(readFileSync(join(FIXTURES, 'valid', name), 'utf8'), service, namespace, clientNamespace);
}

test('90/10 canary with timeout and retries', () => {
  const out = compileFixture('reviews-canary-90-10.yaml', 'reviews');
  const route = out.http![0]!;
  assert.equal(route.route!.map((d) => [d.destination.subset, d.weight]), [['v1', 90], ['v2', 10]]);
  assert.equal(route.route![0]!.destination, { service: 'reviews', namespace: 'default', subset: 'v1' });
  assert.is(route.timeoutMs, 10_000);
  assert.equal(route.retries, { attempts: 3, retryOn: ['gateway-error', 'connect-failure', 'refused-stream'], perTryTimeoutMs: 2000 });
  assert.equal(out.subsets!.map((s) => [s.name, s.labels]), [['v1', { version: 'v1' }], ['v2', { version: 'v2' }]]);
  assert.equal(out.policy, { loadBalancer: { simple: 'LEAST_REQUEST' } }, 'no trafficPolicy: Istio\'s default balancer, nothing else');
  assert.equal(out.subsets![0]!.policy, { loadBalancer: { simple: 'LEAST_REQUEST' } });
});

test('Istio defaults: no timeout, default retries, single destination weight 100', () => {
  const out = compileFixture('header-match.yaml', 'reviews');
  const r = out.http![1]!;
  assert.is(r.timeoutMs, undefined);
  assert.equal(r.retries, { attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503'] });
  assert.is(r.route![0]!.weight, 100);
  assert.equal(out.http![0]!.match, [{ headers: { 'end-user': { exact: 'jason' } } }]);
});

const vs = (http: string) => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [a]\n  http:\n${http}\n`;

test('retries: attempts 0 disables, status codes add retriable-status-codes', () => {
  const off = compileText(vs('  - route: [{destination: {host: a}}]\n    retries: {attempts: 0}'), 'a');
  assert.equal(off.http![0]!.retries, { attempts: 0, retryOn: [] });
  const codes = compileText(vs('  - route: [{destination: {host: a}}]\n    retries: {attempts: 4, retryOn: "502,503"}'), 'a');
  assert.equal(codes.http![0]!.retries, { attempts: 4, retryOn: ['502', '503', 'retriable-status-codes'] });
});

test('retries.retryIgnorePreviousHosts: false is carried (retries may reuse an endpoint); true is the default and not written', () => {
  const off = compileText(vs('  - route: [{destination: {host: a}}]\n    retries: {attempts: 2, retryIgnorePreviousHosts: false}'), 'a');
  assert.is(off.http![0]!.retries!.retryIgnorePreviousHosts, false);
  const on = compileText(vs('  - route: [{destination: {host: a}}]\n    retries: {attempts: 2, retryIgnorePreviousHosts: true}'), 'a');
  assert.ok(!('retryIgnorePreviousHosts' in on.http![0]!.retries!));
});

test('redirect.prefixRewrite: compiled, no warning; with uri, an error (one path rewrite)', () => {
  const text = vs('  - match: [{uri: {prefix: /old/}}]\n    redirect: {prefixRewrite: /new/}');
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  assert.equal(compileText(text, 'a').http![0]!.redirect, { prefixRewrite: '/new/', redirectCode: 301 });
  const both = loadMeshfile(vs('  - match: [{uri: {prefix: /old/}}]\n    redirect: {uri: /x, prefixRewrite: /new/}'), 'test.yaml').diagnostics;
  assert.equal(both.map((d) => `${d.code} ${d.path}`), ['MESH_ERR_ONE_OF spec.http[0].redirect.prefixRewrite']);
});

test('redirect.derivePort: compiled, no warning; with port, the CRD refuses both', () => {
  const text = vs('  - match: [{uri: {exact: /a}}]\n    redirect: {scheme: https, derivePort: FROM_PROTOCOL_DEFAULT}');
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  assert.equal(compileText(text, 'a').http![0]!.redirect, { derivePort: 'FROM_PROTOCOL_DEFAULT', scheme: 'https', redirectCode: 301 });
  const both = vs('  - match: [{uri: {exact: /a}}]\n    redirect: {port: 8443, derivePort: FROM_REQUEST_PORT}');
  assert.ok(loadMeshfile(both, 'test.yaml').diagnostics.some((d) => d.severity === 'error'));
});

test('retries.backoff: the back-off base interval, as Istio gives Envoy (retry_back_off.base_interval); no warning', () => {
  const text = vs('  - route: [{destination: {host: a}}]\n    retries: {attempts: 2, backoff: 100ms}');
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  assert.equal(compileText(text, 'a').http![0]!.retries, { attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503'], backoffMs: 100 });
});

test('connection pool and outlier detection with defaults; subset overrides one section', () => {
  // The rule is in namespace default (no metadata.namespace): it applies to clients there (Istio's lookup path).
  const out = compileFixture('destination-rule-circuit-breaker.yaml', 'reviews', 'prod', 'default');
  assert.equal(out.policy, {
    loadBalancer: { simple: 'LEAST_REQUEST' },
    connectionPool: { tcp: { maxConnections: 100, connectTimeoutMs: 30 }, http: { http2MaxRequests: 1000, maxRequestsPerConnection: 10 } },
    outlierDetection: { consecutive5xxErrors: 7, intervalMs: 300_000, baseEjectionTimeMs: 900_000, maxEjectionPercent: 10, minHealthPercent: 0 },
  });
  const test = out.subsets!.find((s) => s.name === 'testversion')!;
  assert.equal(test.policy!.loadBalancer, { simple: 'ROUND_ROBIN' });
  assert.equal(test.policy!.outlierDetection, out.policy!.outlierDetection, 'sections the subset leaves out are inherited');
  assert.equal(out.subsets!.find((s) => s.name === 'v1')!.policy, out.policy);
});

test('connectionPool.tcp.maxConnectionDuration: compiled, no warning', () => {
  const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnectionDuration: 30s}\n';
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  assert.equal(compileText(text, 'a').policy!.connectionPool, { tcp: { maxConnectionDurationMs: 30_000 } });
});

test('outlierDetection.splitExternalLocalOriginErrors and consecutiveLocalOriginFailures: compiled, no warning', () => {
  const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    outlierDetection: {splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 3}\n';
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  const o = compileText(text, 'a').policy!.outlierDetection!;
  assert.equal([o.splitExternalLocalOriginErrors, o.consecutiveLocalOriginFailures], [true, 3]);
});

test('outlierDetection.outlierDetectionHttpErrorCodes: compiled sorted and unique, no warning; empty is unset; out of [100, 599] is an error', () => {
  const dr = (codes: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    outlierDetection:\n      outlierDetectionHttpErrorCodes: ${codes}\n`;
  assert.equal(loadMeshfile(dr('[503, 429, 503]'), 'test.yaml').diagnostics, []);
  assert.equal(compileText(dr('[503, 429, 503]'), 'a').policy!.outlierDetection!.httpErrorCodes, [429, 503]);
  assert.is(compileText(dr('[]'), 'a').policy!.outlierDetection!.httpErrorCodes, undefined);
  const bad = loadMeshfile(dr('[429, 600]'), 'test.yaml').diagnostics.filter((x) => x.severity === 'error');
  assert.is(bad.length, 1);
  assert.ok(bad[0]!.path?.endsWith('outlierDetectionHttpErrorCodes[1]'), bad[0]!.path);
  assert.is(bad[0]!.line, 8);
});

test('loadBalancer.warmup: Istio\'s defaults (minimumPercent 10, aggression 1); warmupDurationSecs deprecated, a window alone, and loses to warmup; other balancers warn and get none', () => {
  const dr = (lb: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    loadBalancer: ${lb}\n`;
  const codes = (lb: string) => loadMeshfile(dr(lb), 'test.yaml').diagnostics.map((d) => `${d.code} ${d.path}`);
  const lbOf = (lb: string) => compileText(dr(lb), 'a').policy!.loadBalancer;
  assert.equal(codes('{warmup: {duration: 30s}}'), []);
  assert.equal(lbOf('{warmup: {duration: 30s}}'), { warmup: { durationMs: 30_000, minimumPercent: 10, aggression: 1 } }, 'LEAST_REQUEST by default');
  assert.equal(lbOf('{simple: ROUND_ROBIN, warmup: {duration: 1m, minimumPercent: 0, aggression: 2.5}}'), { simple: 'ROUND_ROBIN', warmup: { durationMs: 60_000, minimumPercent: 0, aggression: 2.5 } });
  assert.equal(codes('{simple: LEAST_REQUEST, warmupDurationSecs: 20s}'), ['MESH_WARN_DEPRECATED spec.trafficPolicy.loadBalancer.warmupDurationSecs']);
  assert.equal(lbOf('{simple: LEAST_REQUEST, warmupDurationSecs: 20s}')!.warmup, { durationMs: 20_000, minimumPercent: 10, aggression: 1 });
  assert.equal(lbOf('{warmupDurationSecs: 20s, warmup: {duration: 5s}}')!.warmup!.durationMs, 5000);
  assert.equal(codes('{simple: RANDOM, warmup: {duration: 5s}}'), ['MESH_WARN_UNSUPPORTED_VALUE spec.trafficPolicy.loadBalancer.warmup']);
  assert.is(lbOf('{simple: RANDOM, warmup: {duration: 5s}}')!.warmup, undefined);
  assert.equal(codes('{consistentHash: {useSourceIp: true}, warmup: {duration: 5s}}'), ['MESH_WARN_UNSUPPORTED_VALUE spec.trafficPolicy.loadBalancer.warmup']);
  assert.ok(codes('{warmup: {duration: 5s, minimumPercent: 101}}').some((c) => c.startsWith('MESH_ERR_OUT_OF_RANGE')));
  assert.ok(codes('{warmup: {minimumPercent: 5}}').some((c) => c.startsWith('MESH_ERR_MISSING_FIELD')), 'duration is required');
});

test('VirtualService tls: routes by server name compiled (names lower case); sniHosts must be the VirtualService\'s hosts; an IP warns; a route is required', () => {
  const vs = (tls: string) => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s}\nspec:\n  hosts: [secure]\n  tls:\n${tls}`;
  const ok = vs('  - match: [{sniHosts: [Secure], port: 8443}]\n    route: [{destination: {host: secure, port: {number: 9443}}}]\n');
  assert.equal(loadMeshfile(ok, 'test.yaml').diagnostics, []);
  assert.equal(compileText(ok, 'secure').tls, [{ match: [{ sniHosts: ['secure'], port: 8443 }], route: [{ destination: { service: 'secure', namespace: 'default', port: 9443 }, weight: 100 }] }]);
  const codes = (tls: string) => loadMeshfile(vs(tls), 'test.yaml').diagnostics.map((d) => `${d.code} ${d.path} ${d.line}`);
  assert.equal(codes('  - match: [{sniHosts: [other.example.com]}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_ERR_BAD_VALUE spec.tls[0].match[0].sniHosts[0] 7']);
  assert.equal(codes('  - match: [{sniHosts: ["*.secure"]}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_ERR_BAD_VALUE spec.tls[0].match[0].sniHosts[0] 7'], 'not a subset of the service host');
  assert.equal(codes('  - match: [{sniHosts: ["a*b"]}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_ERR_BAD_VALUE spec.tls[0].match[0].sniHosts[0] 7']);
  assert.equal(codes('  - match: [{sniHosts: [10.0.0.1]}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_WARN_UNSUPPORTED_VALUE spec.tls[0].match[0].sniHosts[0] 7']);
  assert.equal(codes('  - match: [{sniHosts: []}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_ERR_MISSING_FIELD spec.tls[0].match[0].sniHosts 7']);
  assert.ok(codes('  - match: [{sniHosts: [secure]}]\n').some((c) => c.startsWith('MESH_ERR_ROUTE_ACTION spec.tls[0]')));
  assert.ok(codes('  - route: [{destination: {host: secure}}]\n').some((c) => c.startsWith('MESH_ERR_MISSING_FIELD')), 'match is required');
  assert.equal(codes('  - match: [{sniHosts: [secure], gateways: [gw]}]\n    route: [{destination: {host: secure}}]\n'), ['MESH_WARN_UNSUPPORTED_FIELD spec.tls[0].match[0].gateways 7']);
});

test('consistentHash.httpCookie.attributes: compiled (a value only when given), no warning', () => {
  const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpCookie: {name: s, ttl: 60s, attributes: [{name: SameSite, value: Strict}, {name: Secure}]}\n';
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  assert.equal(compileText(text, 'a').policy!.loadBalancer!.consistentHash!.httpCookie, { name: 's', ttlMs: 60_000, attributes: [{ name: 'SameSite', value: 'Strict' }, { name: 'Secure' }] });
});

test('DestinationRule workloadSelector: the selected clients in its namespace take it, the others the rule without a selector; no conflict between them', () => {
  const text = [
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db-all}\nspec:\n  host: db\n  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n  subsets: [{name: v1, labels: {version: v1}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db-batch}\nspec:\n  host: db\n  workloadSelector: {matchLabels: {app: batch}}\n  trafficPolicy: {connectionPool: {tcp: {maxConnections: 2}}}\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db-batch-2}\nspec:\n  host: db\n  workloadSelector: {matchLabels: {app: batch}}\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n',
  ].join('---\n');
  const r = loadMeshfile(text, 'test.yaml');
  assert.equal(r.diagnostics, []);
  const forClient = (labels: Record<string, string>, namespace = 'default') => compileServiceRoutes(r.spec, { name: 'db', namespace: 'default', hosts: ['db'] }, lookup, undefined, { namespace, labels });
  assert.equal(forClient({ app: 'batch' }).policy, { loadBalancer: { simple: 'LEAST_REQUEST' }, connectionPool: { tcp: { maxConnections: 2 } } }, 'the first selecting rule, not merged with the others');
  assert.is(forClient({ app: 'batch' }).subsets, undefined);
  assert.equal(forClient({ app: 'web' }).policy, { loadBalancer: { simple: 'ROUND_ROBIN' } });
  assert.equal(forClient({ app: 'web' }).subsets!.map((x) => x.name), ['v1']);
  assert.equal(forClient({ app: 'batch' }, 'jobs').policy, { loadBalancer: { simple: 'ROUND_ROBIN' } }, 'selectors do not cross namespaces');
  const two = loadMeshfile(text + '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db-again}\nspec:\n  host: db\n', 'test.yaml').diagnostics;
  assert.equal(two.map((d) => d.code), ['MESH_ERR_HOST_CONFLICT'], 'two rules without a selector still conflict');
  const bad = loadMeshfile('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\nspec:\n  host: db\n  workloadSelector: {matchLabels: {app: "b*"}}\n', 'test.yaml').diagnostics;
  assert.equal(bad.map((d) => `${d.code} ${d.path}`), ['MESH_ERR_BAD_VALUE spec.workloadSelector.matchLabels.app']);
});

test('exportTo: a client takes the VirtualService private to its namespace, else one exported to it by name, else a public one; DestinationRules by Istio\'s lookup path', () => {
  const r = loadMeshfile(readFileSync(join(FIXTURES, 'valid', 'export-to.yaml'), 'utf8'), 'export-to.yaml');
  assert.ok(r.valid);
  const forClient = (namespace: string) => compileServiceRoutes(r.spec, { name: 'api', namespace: 'default', hosts: ['api'] }, lookup, undefined, { namespace, labels: {} });
  const subsetOf = (namespace: string) => forClient(namespace).http![0]!.route![0]!.destination.subset;
  assert.is(subsetOf('default'), 'v1', 'default: its own private VirtualService');
  assert.is(subsetOf('team'), 'v2', 'team: its own private VirtualService for api.default');
  assert.is(forClient('qa').http![0]!.timeoutMs, 1000, 'qa: the one exported to it by name before the public one');
  assert.is(forClient('ops').http![0]!.timeoutMs, 2000, 'ops: the public one (the one exported to qa is not exported to ops)');
  assert.is(forClient('other').http![0]!.timeoutMs, 2000, 'any other namespace: the public one');
  assert.equal(forClient('default').subsets!.map((x) => x.name), ['v1', 'v2'], 'default: its own rule');
  assert.equal(forClient('team').policy, { loadBalancer: { simple: 'LEAST_REQUEST' } }, 'team: its own rule before the host\'s');
  assert.equal(forClient('team').subsets!.map((x) => x.name), ['v2']);
  assert.equal(forClient('qa').policy, { loadBalancer: { simple: 'RANDOM' } }, 'qa: the host\'s namespace exports api-local to it (api to "." only)');
  assert.is(forClient('qa').subsets, undefined);
  assert.is(forClient('ops').policy, undefined, 'ops: its own rule is exported away from it, the host\'s namespace exports none to it');
});

test('exportTo: a VirtualService private to the client\'s namespace and another exported to it by name do not conflict; the private one wins', () => {
  const vs = (name: string, ns: string, exportTo: string, timeout: string) =>
    `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  hosts: [api.default]\n  exportTo: [${exportTo}]\n  http:\n  - timeout: ${timeout}\n    route: [{destination: {host: api.default}}]\n`;
  const r = loadMeshfile([vs('team-own', 'team', '"."', '1s'), vs('from-ops', 'ops', 'team', '2s')].join('---\n'), 'test.yaml');
  assert.equal(r.diagnostics, []);
  const forClient = (namespace: string) => compileServiceRoutes(r.spec, { name: 'api', namespace: 'default', hosts: ['api'] }, lookup, undefined, { namespace, labels: {} });
  assert.is(forClient('team').http![0]!.timeoutMs, 1000);
  assert.is(forClient('default').http, undefined, 'neither is exported to default');
});

test('DestinationRule lookup path: the client\'s namespace, then what the host\'s namespace exports to it, then the root namespace; a selector there only selects', () => {
  const dr = (name: string, ns: string, extra: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  host: db.data\n${extra}`;
  const text = [
    dr('mesh', 'istio-system', '  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n'),
    dr('db', 'data', '  exportTo: [".", shop]\n  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n'),
    dr('db-batch', 'jobs', '  workloadSelector: {matchLabels: {app: batch}}\n  exportTo: ["."]\n  trafficPolicy: {connectionPool: {tcp: {maxConnections: 2}}}\n'),
  ].join('---\n');
  const r = loadMeshfile(text, 'test.yaml');
  assert.equal(r.diagnostics, []);
  const policy = (namespace: string, labels: Record<string, string> = {}) =>
    compileServiceRoutes(r.spec, { name: 'db', namespace: 'data', hosts: ['db'] }, lookup, undefined, { namespace, labels }).policy;
  assert.equal(policy('data'), { loadBalancer: { simple: 'LEAST_REQUEST' } }, 'the host\'s own namespace');
  assert.equal(policy('shop'), { loadBalancer: { simple: 'LEAST_REQUEST' } }, 'exported to shop by name');
  assert.equal(policy('web'), { loadBalancer: { simple: 'RANDOM' } }, 'not exported to web: the root namespace\'s');
  assert.equal(policy('jobs', { app: 'batch' }), { loadBalancer: { simple: 'LEAST_REQUEST' }, connectionPool: { tcp: { maxConnections: 2 } } }, 'selected in its namespace');
  assert.is(policy('jobs', { app: 'web' }), undefined, 'pilot: the client\'s namespace has a rule for the host, so the lookup stops there; none selects it and none lacks a selector');
});

test('delegate: the root route is replaced by its delegate\'s routes, narrowed to its match, its timeout where they set none', () => {
  const out = compileFixture('delegate.yaml', 'web');
  const http = out.http!;
  assert.equal(http.map((h) => h.name), ['orders-beta', 'orders-rest', undefined], 'the delegate route outside /orders is left out');
  assert.equal(http[0]!.match, [{ uri: { prefix: '/orders/beta' }, headers: { 'x-beta': { exact: '1' } } }]);
  assert.equal(http[0]!.route![0]!.destination, { service: 'api', namespace: 'default' });
  assert.is(http[0]!.timeoutMs, 3000, 'the root\'s timeout');
  assert.equal(http[1]!.match, [{ uri: { prefix: '/orders' } }], 'a delegate route without match takes the root\'s');
  assert.is(http[1]!.timeoutMs, 1000, 'its own timeout');
});

test('retryBudget: percent and minRetryConcurrency with Istio\'s defaults (20, 3); a subset replaces it; port-level settings keep it; budgetInterval warns', () => {
  const dr = (budget: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    retryBudget: ${budget}\n    portLevelSettings:\n    - port: {number: 9090}\n      loadBalancer: {simple: RANDOM}\n  subsets:\n  - name: v2\n    labels: {version: v2}\n    trafficPolicy:\n      retryBudget: {percent: 50}\n`;
  const text = dr('{percent: 5.5}');
  assert.equal(loadMeshfile(text, 'test.yaml').diagnostics, []);
  const out = compileText(text, 'a');
  assert.equal(out.policy!.retryBudget, { percent: 5.5, minRetryConcurrency: 3 });
  assert.equal(out.subsets!.find((x) => x.name === 'v2')!.policy!.retryBudget, { percent: 50, minRetryConcurrency: 3 });
  assert.equal(out.policy!.portLevel![0]!.policy.retryBudget, { percent: 5.5, minRetryConcurrency: 3 });
  assert.equal(compileText(dr('{}'), 'a').policy!.retryBudget, { percent: 20, minRetryConcurrency: 3 });
  const d = loadMeshfile(dr('{minRetryConcurrency: 0, budgetInterval: 10s}'), 'test.yaml').diagnostics;
  assert.equal(d.map((x) => x.code), ['MESH_WARN_UNSUPPORTED_FIELD']);
  assert.equal(compileText(dr('{minRetryConcurrency: 0, budgetInterval: 10s}'), 'a').policy!.retryBudget, { percent: 20, minRetryConcurrency: 0 });
});

test('outlier detection defaults: interval 10s, baseEjectionTime 30s, maxEjectionPercent 10, consecutive5xxErrors 5', () => {
  const out = compileText('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  trafficPolicy:\n    outlierDetection: {}\n', 'a');
  assert.equal(out.policy!.outlierDetection, { consecutive5xxErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0 });
});

test('port-level settings replace the policy for their port; subsets merge over the port', () => {
  const out = compileFixture('port-level-settings.yaml', 'ratings', 'prod');
  assert.equal(out.policy, { loadBalancer: { simple: 'LEAST_REQUEST' }, portLevel: [{ port: 9080, policy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }] });
  const sub = out.subsets![0]!;
  assert.equal(sub.policy, {
    loadBalancer: { simple: 'LEAST_REQUEST' },
    connectionPool: { http: { http1MaxPendingRequests: 10 } },
    portLevel: [{ port: 9080, policy: { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { http: { http1MaxPendingRequests: 10 } } } }],
  });
});

test('fault percentages, mirror default 100%, redirect default 301, regex rewrite', () => {
  const fault = compileFixture('fault-injection.yaml', 'ratings');
  assert.equal(fault.http![0]!.fault, { delay: { fixedDelayMs: 7000, percent: 100 } });
  assert.equal(fault.http![1]!.fault, { abort: { percent: 0.1, httpStatus: 500 } });
  const mirror = compileText(vs('  - route: [{destination: {host: a}}]\n    mirror: {host: b}'), 'a');
  assert.equal(mirror.http![0]!.mirrors, [{ destination: { service: 'b', namespace: 'default' }, percent: 100 }]);
  const rr = compileFixture('redirect-rewrite-direct.yaml', 'ratings', 'prod');
  assert.equal(rr.http![0]!.redirect, { uri: '/v1/bookRatings', authority: 'newratings.default.svc.cluster.local', redirectCode: 301 });
  assert.equal(rr.http![2]!.rewrite!.uriRegexRewrite, { match: '^/service/([^/]+)(/.*)$', rewrite: '$2/instance/$1' });
  assert.equal(rr.http![3]!.directResponse, { status: 503, body: 'unknown path' });
  assert.is(rr.http![3]!.match[0]!.ignoreUriCase, true);
});

test('TCP routes and hosts written as name.ns and FQDN', () => {
  const out = compileFixture('tcp-route.yaml', 'mongo');
  assert.equal(out.tcp, [{
    match: [{ port: 27017 }],
    route: [
      { destination: { service: 'mongo', namespace: 'default', subset: 'v1', port: 5555 }, weight: 80 },
      { destination: { service: 'mongo', namespace: 'default', subset: 'v2', port: 5555 }, weight: 20 },
    ],
  }]);
});

test('rate limits from the Mesh kind, both forms', () => {
  const text = readFileSync(join(FIXTURES, 'valid', 'mesh-settings.yaml'), 'utf8');
  assert.equal(compileText(text, 'payments').rateLimit, { maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 1000 });
  assert.equal(compileText(text, 'inventory').rateLimit, { maxTokens: 20, tokensPerFill: 5, fillIntervalMs: 500 });
});

test('a service nothing mentions compiles to {}; gateway-only VirtualServices do not apply', () => {
  assert.equal(compileFixture('reviews-canary-90-10.yaml', 'ratings'), {});
  const gw = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [a]\n  gateways: [public-gw]\n  http:\n  - route: [{destination: {host: a}}]\n';
  const r = loadMeshfile(gw, 'gw.yaml');
  assert.equal(r.diagnostics.map((d) => d.code), ['MESH_WARN_UNSUPPORTED_VALUE']);
  assert.equal(compileServiceRoutes(r.spec, { name: 'a', namespace: 'default', hosts: [] }, lookup), {});
});

test('deterministic: same config in another key order compiles to the same JSON', () => {
  const a = vs('  - match: [{headers: {x-b: {exact: "1"}, x-a: {prefix: "2"}}}]\n    route: [{destination: {host: a}, headers: {request: {set: {z: "1", y: "2"}}}}]');
  const b = vs('  - route: [{headers: {request: {set: {y: "2", z: "1"}}}, destination: {host: a}}]\n    match: [{headers: {x-a: {prefix: "2"}, x-b: {exact: "1"}}}]');
  assert.is(JSON.stringify(compileText(a, 'a')), JSON.stringify(compileText(b, 'a')));
});

test('a 500-route meshfile loads and compiles fast', () => {
  const text = syntheticMeshfile({ routes: 500, services: 10 });
  const t0 = performance.now();
  const r = loadMeshfile(text, 'big.yaml');
  const t1 = performance.now();
  assert.ok(r.valid, JSON.stringify(r.diagnostics.slice(0, 3)));
  let routes = 0;
  for (let s = 0; s < 10; s++) routes += compileServiceRoutes(r.spec, { name: `svc-${s}`, namespace: 'default', hosts: [] }, lookup).http!.length;
  const t2 = performance.now();
  assert.is(routes, 500);
  console.log(`# 500 routes: load ${(t1 - t0).toFixed(1)} ms, compile ${(t2 - t1).toFixed(1)} ms`);
  assert.ok(t2 - t0 < 5000, 'well under a second in practice; generous bound for slow CI');
});

test.run();
