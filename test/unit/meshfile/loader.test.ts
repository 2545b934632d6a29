/** loadMeshfile's contract beyond the corpus: caps, freezing, disabling, durations, regexes, hosts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration } from '../../../control/meshfile/duration.ts';
import { hostLookup, hostProblem, parseHost } from '../../../control/meshfile/host-resolver.ts';
import { loadMeshfile, MAX_MESHFILE_BYTES } from '../../../control/meshfile/load-meshfile.ts';
import { re2ToJs } from '../../../control/meshfile/re2-regex.ts';
import { childPath, parentPath } from '../../../control/meshfile/position-index.ts';

test('a file over the size cap is one diagnostic, not a parse', () => {
  const r = loadMeshfile(`# ${'x'.repeat(MAX_MESHFILE_BYTES)}\n`, 'big.yaml');
  assert.is(r.valid, false);
  assert.equal(r.diagnostics.map((d) => [d.code, d.line, d.column]), [['MESH_ERR_FILE_TOO_LARGE', 1, 1]]);
});

test('an empty file is a valid, empty mesh', () => {
  const r = loadMeshfile('', 'mesh.yaml');
  assert.is(r.valid, true);
  assert.equal(r.diagnostics, []);
  assert.equal(r.spec.virtualServices, []);
});

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  http:
  - route: [{destination: {host: api}}]
    timeout: 250ms
`;

test('the spec is frozen and typed; namespace and position are kept', () => {
  const r = loadMeshfile(VS, 'mesh.yaml');
  const vs = r.spec.virtualServices[0]!;
  assert.equal([vs.kind, vs.apiVersion, vs.name, vs.namespace, vs.line, vs.index], ['VirtualService', 'networking.istio.io/v1', 'api', 'shop', 1, 0]);
  assert.is(vs.spec.http![0]!.timeout, '250ms');
  assert.ok(Object.isFrozen(vs.spec.http![0]!.route![0]!.destination));
});

test('object-scoped errors disable the one document and keep the rest', () => {
  const ctx = { services: [{ name: 'api', namespace: 'shop', hosts: ['api'], labelSets: [{}], ports: [80] }] };
  const text = `${VS}---\n${VS.replace('name: api,', 'name: ghost,').replace('hosts: [api]', 'hosts: [ghost]')}`;
  const r = loadMeshfile(text, 'mesh.yaml', ctx);
  assert.is(r.valid, true);
  assert.equal(r.disabled.map((d) => [d.name, d.codes]), [['ghost', ['MESH_ERR_UNKNOWN_HOST']]]);
  assert.equal(r.spec.virtualServices.map((v) => v.name), ['api']);
  assert.ok(r.diagnostics.every((d) => d.kind === 'VirtualService' && d.name === 'ghost' && d.path === 'spec.hosts[0]'));
});

test('without a context, hosts and subsets are not checked against the project', () => {
  const r = loadMeshfile(VS.replace('hosts: [api]', 'hosts: [anything]'), 'mesh.yaml');
  assert.equal(r.diagnostics, []);
});

test('durations: Go-style strings with units, fractions, compound', () => {
  for (const [text, ms] of [['30s', 30_000], ['1.5s', 1500], ['100ms', 100], ['1m30s', 90_000], ['1h', 3_600_000], ['250us', 0.25]] as const) {
    assert.is(parseDuration(text), ms, text);
  }
  for (const bad of ['10', '10sec', 's', '', '-1s', '1 s', '1.s']) assert.is(parseDuration(bad), undefined, bad);
});

test('regexes: RE2 that JavaScript runs; (?P<name>) rewritten', () => {
  assert.equal(re2ToJs('/api/v[0-9]+/.*'), { ok: true, source: '/api/v[0-9]+/.*' });
  assert.equal(re2ToJs('(?P<id>[0-9]+)'), { ok: true, source: '(?<id>[0-9]+)' });
  for (const bad of ['(?=a)', 'a(?<!b)', '(a)\\1', '(?i)abc', '\\Aabc\\z', '[[:alpha:]]', '(']) assert.is(re2ToJs(bad).ok, false, bad);
});

test('hosts: short names qualified by the document namespace, name.ns, FQDN, aliases with a context', () => {
  assert.equal(parseHost('api', 'shop'), { name: 'api', namespace: 'shop' });
  assert.equal(parseHost('api.prod', 'shop'), { name: 'api', namespace: 'prod' });
  assert.equal(parseHost('API.prod.svc.cluster.local', 'shop'), { name: 'api', namespace: 'prod' });
  const lookup = hostLookup({ services: [{ name: 'api', namespace: 'default', hosts: ['api', 'shop-api-1'], labelSets: [], ports: [] }] });
  assert.equal(lookup('shop-api-1', 'default'), { name: 'api', namespace: 'default' });
  assert.equal(lookup('api.default.svc.cluster.local', 'other'), { name: 'api', namespace: 'default' });
  assert.is(lookup('api', 'other'), undefined, 'a short name means the document\'s namespace, as in Istio');
  for (const bad of ['*', '*.example.com', '10.0.0.1', '', 'a/b']) assert.ok(hostProblem(bad), bad);
});

test('JSON paths', () => {
  assert.is(childPath('spec.http[0].match[0].headers', 'x-user'), 'spec.http[0].match[0].headers["x-user"]');
  assert.is(parentPath('spec.http[0].route[1].weight'), 'spec.http[0].route[1]');
  assert.is(parentPath('spec.http[0]'), 'spec.http');
  assert.is(parentPath('a["x.y"]'), 'a');
});

test.run();
