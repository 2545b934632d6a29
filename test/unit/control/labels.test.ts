import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { namespaceLabelProblem, toWorkload, toWorkloads, type ContainerData } from '../../../control/discovery/labels.ts';

function container(over: Partial<ContainerData> & { labels?: Record<string, string> } = {}): ContainerData {
  return {
    Id: over.Id ?? 'c1'.padEnd(64, '0'),
    Name: over.Name ?? '/shop-api-1',
    Config: { Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api', ...over.labels } },
    State: over.State ?? { Running: true, StartedAt: '2026-01-01T00:00:00Z' },
    NetworkSettings: over.NetworkSettings ?? { Networks: { shop_default: { IPAddress: '172.20.0.3', Aliases: ['api', 'c1c1c1c1c1c1'] } } },
    HostConfig: over.HostConfig ?? { NetworkMode: 'shop_default' },
  };
}

const opts = { project: 'shop' };

test('a compose container becomes a workload named after its service', () => {
  const w = toWorkload(container(), opts)!;
  assert.is(w.service, 'api');
  assert.is(w.workload, 'api');
  assert.is(w.containerName, 'shop-api-1');
  assert.equal(w.addresses, { shop_default: '172.20.0.3' });
  assert.equal(w.aliases, ['api'], 'container-id aliases are dropped');
  assert.is(w.namespace, 'default');
  assert.ok(w.inject);
});

test('dockmesh.namespace puts a workload in that namespace; a value that is not a namespace name leaves it in the default', () => {
  assert.is(toWorkload(container({ labels: { 'dockmesh.namespace': 'team-a' } }), opts)!.namespace, 'team-a');
  assert.is(toWorkload(container({ labels: { 'dockmesh.namespace': 'team-a' } }), { ...opts, namespace: 'other' })!.namespace, 'team-a', 'the label wins over the server\'s default');
  for (const bad of ['Team', 'team_a', '-team', 'a'.repeat(64), '']) {
    assert.is(toWorkload(container({ labels: { 'dockmesh.namespace': bad } }), opts)!.namespace, 'default', JSON.stringify(bad));
  }
  assert.ok(namespaceLabelProblem('Team')!.includes('dockmesh.namespace="Team" is not a namespace name'));
  assert.is(namespaceLabelProblem('a'.repeat(63)), undefined);
});

const table: Array<[string, Partial<ContainerData> & { labels?: Record<string, string> }, boolean]> = [
  ['other project', { labels: { 'com.docker.compose.project': 'other' } }, false],
  ['one-off run container (v2)', { labels: { 'com.docker.compose.oneoff': 'True' } }, false],
  ['one-off run container (v1)', { labels: { 'com.docker.compose.oneoff': 'true' } }, false],
  ['not a one-off', { labels: { 'com.docker.compose.oneoff': 'False' } }, true],
  ['dockmesh agent', { labels: { 'dockmesh.role': 'agent' } }, false],
  ['dockmesh control', { labels: { 'dockmesh.role': 'control' } }, false],
  ['shares another container network', { HostConfig: { NetworkMode: 'container:abc' } }, false],
  ['host network', { HostConfig: { NetworkMode: 'host' } }, false],
];
for (const [name, over, expected] of table) {
  test(`included? ${name} → ${expected}`, () => {
    assert.is(toWorkload(container(over), opts) !== null, expected);
  });
}

test('dockmesh.service names the logical service; dockmesh.inject=false opts out', () => {
  const w = toWorkload(container({ labels: { 'dockmesh.service': 'orders', 'dockmesh.inject': 'false' } }), opts)!;
  assert.is(w.service, 'orders');
  assert.is(w.workload, 'api');
  assert.is(w.inject, false);
});

test('toWorkloads keeps running containers only, sorted by name', () => {
  const ws = toWorkloads(
    [
      container({ Id: 'b', Name: '/shop-web-1' }),
      container({ Id: 'a', Name: '/shop-api-1' }),
      container({ Id: 'c', Name: '/shop-db-1', State: { Running: false } }),
    ],
    opts,
  );
  assert.equal(ws.map((w) => w.containerName), ['shop-api-1', 'shop-web-1']);
});

test('list-shaped containers (Names, string State) work too', () => {
  const w = toWorkload(
    { Id: 'x', Names: ['/shop_api_1'], Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' }, State: 'running' },
    opts,
  )!;
  assert.is(w.containerName, 'shop_api_1');
  assert.ok(w.running);
});

test.run();
