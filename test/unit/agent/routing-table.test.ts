import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpRouteSnapshot, ServiceSnapshot } from '../../../wire/types.ts';
import { buildRouteTable, clusterPolicy, defaultCluster } from '../../../agent/route-table.ts';
import { RequestFacts } from '../../../agent/routing/request-facts.ts';
import { validateSnapshot } from '../../../agent/validate-snapshot.ts';
import { ConfigStore } from '../../../agent/config-store.ts';
import { endpoint, service, snapshot } from './snapshot-fixture.ts';

const to = (subset?: string, weight = 100) => ({ destination: { service: 'api', namespace: 'default', ...(subset ? { subset } : {}) }, weight });

function api(http?: HttpRouteSnapshot[], extra: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    ...service('api', [8080], [
      endpoint('api', '10.0.0.1', 8080, undefined, { version: 'v1' }),
      endpoint('api', '10.0.0.2', 8080, undefined, { version: 'v2' }),
      endpoint('api', '10.0.0.3', 8080, undefined, { version: 'v2', zone: 'b' }),
    ]),
    subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    ...(http ? { http } : {}),
    ...extra,
  };
}

const facts = (path: string, headers: Record<string, string> = {}) => new RequestFacts('GET', path, 'api', 'http', 8080, headers, '10.9.9.9');

test('subsets: clusters per subset and port hold the endpoints whose labels include the subset labels', () => {
  const t = buildRouteTable(snapshot(1, 'web', [api()]));
  const s = t.services.get('api.default')!;
  assert.equal(s.clusters.get('v1')!.get(8080)!.hosts.map((h) => h.identity), ['10.0.0.1:8080']);
  assert.equal(s.clusters.get('v2')!.get(8080)!.hosts.map((h) => h.identity), ['10.0.0.2:8080', '10.0.0.3:8080']);
  assert.is(defaultCluster(s, 8080)!.hosts.length, 3);
  assert.is(s.clusters.get('v2')!.get(8080)!.key, 'outbound|8080|v2|api.default');
});

const routes: HttpRouteSnapshot[] = [
  { name: 'mobile-only', match: [{ sourceLabels: { app: 'mobile' } }], route: [to('v2')] },
  { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [to('v2')] },
  { name: 'ghost', match: [{ uri: { prefix: '/ghost' } }], route: [to('v9')] },
  { name: 'rest', match: [], route: [to('v1')] },
];

const picks: Array<[string, string, Record<string, string>, string | undefined]> = [
  ['header', '/x', { 'end-user': 'jason' }, 'jason'],
  ['first match wins over the catch-all', '/x', { 'end-user': 'jason', other: '1' }, 'jason'],
  ['catch-all', '/x', {}, 'rest'],
  ['route to an unknown subset still matches', '/ghost', {}, 'ghost'],
];
for (const [name, path, headers, want] of picks) {
  test(`router: ${name}`, () => {
    const t = buildRouteTable(snapshot(1, 'web', [api(routes)], { app: 'web' }));
    assert.is(t.services.get('api.default')!.router!.match(facts(path, headers))?.name, want);
  });
}

test('router: sourceNamespace keeps a route on the agents of that namespace only (HTTP and TCP)', () => {
  const svc = api([
    { name: 'prod-only', match: [{ sourceNamespace: 'prod' }], route: [to('v2')] },
    { name: 'default-only', match: [{ sourceNamespace: 'default', uri: { prefix: '/d' } }], route: [to('v2')] },
    { name: 'rest', match: [], route: [to('v1')] },
  ]);
  const tcp = { ...svc, tcp: [{ match: [{ sourceNamespace: 'prod' }], route: [{ destination: { service: 'api', namespace: 'default', subset: 'v2' }, weight: 100 }] }] };
  const t = buildRouteTable(snapshot(1, 'web', [tcp], { app: 'web' }));
  const r = t.services.get('api.default')!;
  assert.equal(r.router!.routes.map((x) => x.name), ['default-only', 'rest']);
  assert.is(r.tcp!.pick(8080), null, 'the only TCP route is for prod: no route');
  const prod = snapshot(1, 'web', [tcp], { app: 'web' });
  const inProd = buildRouteTable({ ...prod, self: { ...prod.self, namespace: 'prod' } }).services.get('api.default')!;
  assert.equal(inProd.router!.routes.map((x) => x.name), ['prod-only', 'rest']);
  assert.is(inProd.tcp!.pick(8080)?.key, 'outbound|8080|v2|api.default');
});

test('router: a route for other workloads is dropped at build time; an unknown subset is a problem, answered NC', () => {
  const t = buildRouteTable(snapshot(1, 'web', [api(routes)], { app: 'web' }));
  const r = t.services.get('api.default')!.router!;
  assert.equal(r.routes.map((x) => x.name), ['jason', 'ghost', 'rest']);
  assert.ok(r.routes[1]!.targets[0]!.missing);
  assert.equal(t.problems, ['api.default: destination api.default subset v9 is not known']);
});

test('router: faults turn timeout and retries off; default route has the Istio default retry policy', () => {
  const t = buildRouteTable(snapshot(1, 'web', [api([{ match: [], route: [to()], timeoutMs: 500, retries: { attempts: 3, retryOn: ['5xx'] }, fault: { delay: { fixedDelayMs: 10, percent: 1 } } }])]));
  const route = t.services.get('api.default')!.router!.routes[0]!;
  assert.is(route.timeoutMs, 0);
  assert.is(route.retry.attempts, 0);
  const plain = buildRouteTable(snapshot(1, 'web', [api()])).services.get('api.default')!;
  assert.is(plain.router, null);
  assert.is(plain.defaultRoute.retry.attempts, 2);
  assert.ok(plain.defaultRoute.retry.retriableStatus(503, undefined));
});

test('weighted pick: 80/20 within ± 3% over 10000 draws', () => {
  const t = buildRouteTable(snapshot(1, 'web', [api([{ match: [], route: [to('v1', 80), to('v2', 20)] }])]));
  const route = t.services.get('api.default')!.router!.routes[0]!;
  let v2 = 0;
  for (let i = 0; i < 10_000; i++) if (route.pickTarget()!.subset === 'v2') v2++;
  assert.ok(v2 > 1700 && v2 < 2300, `v2 ${v2}`);
});

test('policies: subset policy, then port level; balancers by policy', () => {
  const svc = api(undefined, {
    policy: { loadBalancer: { simple: 'RANDOM' }, portLevel: [{ port: 8080, policy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }] },
    subsets: [{ name: 'v1', labels: { version: 'v1' }, policy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }],
  });
  assert.is(clusterPolicy(svc, '', 8080)!.loadBalancer!.simple, 'ROUND_ROBIN');
  assert.is(clusterPolicy(svc, '', 9090)!.loadBalancer!.simple, 'RANDOM');
  assert.is(clusterPolicy(svc, 'v1', 8080)!.loadBalancer!.simple, 'LEAST_REQUEST');
  assert.is(clusterPolicy(service('x', [1], []), '', 1), undefined);
});

test('state carries over: a new table keeps counters and ejections of the same cluster', () => {
  const store = new ConfigStore();
  const od = { consecutive5xxErrors: 1, intervalMs: 1000, baseEjectionTimeMs: 1000, maxEjectionPercent: 100, minHealthPercent: 0 };
  const first = store.prepare(snapshot(1, 'web', [api(undefined, { policy: { outlierDetection: od } })]));
  assert.is(first.kind, 'new');
  const c1 = defaultCluster((first as { table: ReturnType<typeof buildRouteTable> }).table.services.get('api.default')!, 8080)!;
  c1.state.detector!.record(c1.hosts[0]!, 500, Date.now());
  assert.ok(c1.hosts[0]!.ejected);
  const second = store.prepare({ ...snapshot(2, 'web', [api(undefined, { policy: { outlierDetection: od } })]), hash: 'other' });
  const c2 = defaultCluster((second as { table: ReturnType<typeof buildRouteTable> }).table.services.get('api.default')!, 8080)!;
  assert.is.not(c2, c1);
  assert.is(c2.state, c1.state);
  assert.ok(c2.hosts[0]!.ejected, 'still ejected after the push');
});

test('validation: malformed routes are NACKed with their path', () => {
  const bad = snapshot(3, 'web', [{ ...api(), http: [{ route: [] } as unknown as HttpRouteSnapshot], rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 0 } }]);
  const r = validateSnapshot(bad);
  assert.is(r.ok, false);
  assert.match((r as { error: string }).error, /\$\.services\[0\]\.http\[0\]: expected a route with a match array/);
  assert.match((r as { error: string }).error, /rateLimit/);
});

test.run();
