import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRouteTable, defaultCluster, resolveHttpDestination, serviceForHost } from '../../../agent/route-table.ts';
import { endpoint, service, snapshot } from './snapshot-fixture.ts';

const snap = () => {
  const s = snapshot(7, 'web', [
    service('api', [8080], [
      endpoint('api', '172.18.0.4', 8080, undefined, { version: 'v1' }),
      endpoint('api', '172.18.0.5', 8080, 19001, { version: 'v2' }),
    ]),
    service('payments', [9000, 9001], [endpoint('payments', '172.18.0.6', 9000)]),
    service('inventory', [7000], [endpoint('inventory', '172.18.0.7', 7000)]),
  ], { version: 'v3' });
  s.services[2]!.endpoints.push({ ...endpoint('inventory', '172.18.0.8', 7000), ready: false, meshed: false });
  s.mesh.excludedPorts = [9001];
  return s;
};

test('host table: every name, case and trailing dot ignored', () => {
  const t = buildRouteTable(snap());
  assert.is(serviceForHost(t, 'API')?.name, 'api');
  assert.is(serviceForHost(t, 'api.default.svc.cluster.local.:8080')?.name, 'api');
  assert.is(serviceForHost(t, 'payments.default')?.name, 'payments');
  assert.is(serviceForHost(t, 'example.com'), undefined);
});

test('clusters: dial overrides address, one cluster per port, not-ready ones skipped', () => {
  const t = buildRouteTable(snap());
  const api = defaultCluster(t.services.get('api.default')!, 8080)!;
  assert.equal(api.hosts.map((h) => h.endpoint.target), ['172.18.0.4:8080', '127.0.0.1:19001']);
  assert.equal(api.hosts.map((h) => h.identity), ['172.18.0.4:8080', '172.18.0.5:8080']);
  assert.is(defaultCluster(t.services.get('inventory.default')!, 7000)!.hosts.length, 1);
  assert.ok(defaultCluster(t.services.get('payments.default')!, 9001), 'declared port with no endpoint still known');
  assert.is(defaultCluster(t.services.get('payments.default')!, 9001)!.hosts.length, 0);
  assert.is(api.key, 'outbound|8080||api.default');
});

test('capture targets: meshed IPv4 endpoints, excluded ports and unmeshed replicas left out', () => {
  const t = buildRouteTable(snap());
  assert.equal(t.capture.map((c) => `${c.address}:${c.port}>${c.serviceKey}`), [
    '172.18.0.4:8080>api.default', '172.18.0.5:8080>api.default', '172.18.0.6:9000>payments.default',
    '172.18.0.7:7000>inventory.default',
  ]);
  assert.equal(t.pools.map((p) => p.key).sort(), ['127.0.0.1:19001', '172.18.0.4:8080', '172.18.0.6:9000', '172.18.0.7:7000', '172.18.0.8:7000']);
});

test('labels: source is self, destination is the endpoint, precomputed per endpoint', () => {
  const t = buildRouteTable(snap());
  const e = defaultCluster(t.services.get('api.default')!, 8080)!.hosts[1]!.endpoint;
  assert.equal(
    { ...e.http.labels },
    {
      reporter: 'source', source_workload: 'web', source_workload_namespace: 'default', source_principal: 'unknown',
      source_app: 'web', source_version: 'v3', destination_workload: 'api', destination_workload_namespace: 'default',
      destination_principal: 'unknown', destination_app: 'api', destination_version: 'v2',
      destination_service: 'api.default.svc.cluster.local', destination_service_name: 'api',
      destination_service_namespace: 'default', request_protocol: 'http', connection_security_policy: 'unknown',
    },
  );
  assert.is(e.tcp.labels.request_protocol, 'tcp');
  assert.equal(t.sourceHeaders, [
    'x-dockmesh-source-workload', 'web', 'x-dockmesh-source-namespace', 'default',
    'x-dockmesh-source-service', 'web', 'x-dockmesh-source-version', 'v3',
  ]);
});

const destCases: Array<[string, string | undefined, string | undefined, number, string | undefined]> = [
  ['Host names the listener service', 'api:8080', 'api.default', 8080, 'api.default:8080'],
  ['IP Host falls back to the listener', '127.0.0.1:15200', 'api.default', 8080, 'api.default:8080'],
  ['Host names another service with a port', 'payments:9001', 'api.default', 8080, 'payments.default:9001'],
  ['Host names another service without port: its only port', 'inventory', 'api.default', 8080, 'inventory.default:7000'],
  ['Host names another multi-port service without port: 80', 'payments', 'api.default', 8080, 'payments.default:80'],
  ['no Host, no listener service', undefined, undefined, 8080, undefined],
  ['unknown Host, no listener service', 'example.com', undefined, 80, undefined],
];
for (const [name, host, listenerKey, port, want] of destCases) {
  test(`resolveHttpDestination: ${name}`, () => {
    const t = buildRouteTable(snap());
    const listener = listenerKey ? t.services.get(listenerKey) : undefined;
    const d = resolveHttpDestination(t, host, listener, port);
    assert.is(d ? `${d.service.key}:${d.port}` : undefined, want);
  });
}

test.run();
