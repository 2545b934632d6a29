/** control/meshfile/delegate.ts: pilot's delegation merge rules (mergeHTTPRoute, hasConflict, stringMatchConflict), pure. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matchConflict, mergeDelegates, mergeHttpRoute, mergeMatches, qualifyRoute, stringMatchConflict } from '../../../control/meshfile/delegate.ts';
import type { MeshObject } from '../../../control/meshfile/mesh-spec.ts';
import type { VirtualServiceSpec } from '../../../control/meshfile/virtual-service-spec.ts';

test('stringMatchConflict: the leaf must match within the root', () => {
  assert.not.ok(stringMatchConflict(undefined, { exact: '/a' }), 'no root condition');
  assert.not.ok(stringMatchConflict({ prefix: '/a' }, undefined), 'no leaf condition: the root\'s applies');
  assert.not.ok(stringMatchConflict({ prefix: '/a' }, { prefix: '/a/b' }));
  assert.ok(stringMatchConflict({ prefix: '/a/b' }, { prefix: '/a' }));
  assert.not.ok(stringMatchConflict({ prefix: '/a' }, { exact: '/a/x' }));
  assert.ok(stringMatchConflict({ prefix: '/a' }, { exact: '/b' }));
  assert.not.ok(stringMatchConflict({ exact: '/a' }, { exact: '/a' }));
  assert.ok(stringMatchConflict({ exact: '/a' }, { exact: '/b' }));
  assert.ok(stringMatchConflict({ exact: '/a' }, { prefix: '/a' }));
  assert.ok(stringMatchConflict({ regex: '/a.*' }, { prefix: '/a' }), 'a regex root takes no narrower leaf');
  assert.ok(stringMatchConflict({ prefix: '/a' }, { regex: '/a.*' }));
  assert.ok(stringMatchConflict({ regex: '/a' }, { regex: '/a' }));
});

test('matchConflict: headers, query, port, sourceNamespace, sourceLabels, ignoreUriCase', () => {
  assert.not.ok(matchConflict({ uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }, { uri: { prefix: '/a/b' }, headers: { y: { exact: '2' } } }));
  assert.ok(matchConflict({ headers: { x: { exact: '1' } } }, { headers: { x: { exact: '2' } } }));
  assert.ok(matchConflict({ queryParams: { q: { exact: '1' } } }, { queryParams: { q: { prefix: '1' } } }));
  assert.ok(matchConflict({ port: 80 }, { port: 81 }));
  assert.not.ok(matchConflict({ port: 80 }, {}));
  assert.ok(matchConflict({ sourceNamespace: 'a' }, {}), 'the leaf must keep the root\'s sourceNamespace');
  assert.ok(matchConflict({ sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'b' } }));
  assert.ok(matchConflict({ ignoreUriCase: true }, {}));
});

test('mergeMatches: each leaf match merged with every root match it fits; one that fits none is a conflict', () => {
  assert.equal(mergeMatches(undefined, [{ uri: { exact: '/x' } }]), [{ uri: { exact: '/x' } }]);
  assert.equal(mergeMatches([{ uri: { prefix: '/a' } }], undefined), [{ uri: { prefix: '/a' } }]);
  assert.equal(
    mergeMatches([{ name: 'r', uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }, { uri: { prefix: '/b' } }], [{ name: 'l', headers: { y: { exact: '2' } } }]),
    [{ name: 'r-l', uri: { prefix: '/a' }, headers: { x: { exact: '1' }, y: { exact: '2' } } }, { name: 'l', uri: { prefix: '/b' }, headers: { y: { exact: '2' } } }],
  );
  assert.is(mergeMatches([{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/a/1' } }, { uri: { prefix: '/b' } }]), 'conflict');
});

test('mergeHttpRoute: the leaf\'s settings, the root\'s where it has none; names joined', () => {
  const root = { name: 'orders', match: [{ uri: { prefix: '/orders' } }], timeout: '3s', retries: { attempts: 5 }, headers: { request: { set: { a: '1' } } } };
  const merged = mergeHttpRoute(root, { name: 'v2', timeout: '1s', route: [{ destination: { host: 'api' } }] })!;
  assert.equal(merged, { name: 'orders-v2', timeout: '1s', route: [{ destination: { host: 'api' } }], match: [{ uri: { prefix: '/orders' } }], retries: { attempts: 5 }, headers: { request: { set: { a: '1' } } } });
  assert.is(mergeHttpRoute(root, { match: [{ uri: { prefix: '/pay' } }], route: [{ destination: { host: 'api' } }] }), undefined);
});

test('qualifyRoute: the delegate\'s short hosts are of its own namespace', () => {
  const q = qualifyRoute({ route: [{ destination: { host: 'api' } }, { destination: { host: 'web.default' } }], mirror: { host: 'shadow' }, mirrors: [{ destination: { host: 'm' } }] }, 'team');
  assert.equal([q.route![0]!.destination.host, q.route![1]!.destination.host, q.mirror!.host, q.mirrors![0]!.destination.host], ['api.team', 'web.default', 'shadow.team', 'm.team']);
});

const vs = (name: string, namespace: string, spec: VirtualServiceSpec): MeshObject<VirtualServiceSpec> =>
  ({ kind: 'VirtualService', apiVersion: 'networking.istio.io/v1', name, namespace, file: 'm.yaml', line: 1, spec }) as MeshObject<VirtualServiceSpec>;

test('mergeDelegates: a missing delegate, or one not exported to the root\'s namespace, drops the route (pilot)', () => {
  const root = vs('web', 'default', { hosts: ['web'], http: [{ delegate: { name: 'gone' } }, { delegate: { name: 'private', namespace: 'team' } }, { delegate: { name: 'd' } }, { route: [{ destination: { host: 'web' } }] }] });
  const input = [
    root,
    vs('private', 'team', { exportTo: ['.'], http: [{ route: [{ destination: { host: 'x' } }] }] }),
    vs('d', 'default', { http: [{ route: [{ destination: { host: 'api' } }] }] }),
  ];
  const out = mergeDelegates(input);
  assert.equal(out[0]!.spec.http, [{ route: [{ destination: { host: 'api.default' } }] }, { route: [{ destination: { host: 'web' } }] }]);
  assert.is(out[1], input[1], 'delegates are kept as they are');
  assert.is(out[2], input[2]);
});

test.run();
