/** control/compile/inbound.ts: PeerAuthentication scoping and AuthorizationPolicy selection. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileInbound } from '../../../control/compile/inbound.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { FIXTURES } from './fixture-corpus.ts';

function spec(text: string) {
  const r = loadMeshfile(text, 'test.yaml');
  assert.ok(r.valid, JSON.stringify(r.diagnostics));
  return r.spec;
}

const fixture = (name: string) => spec(readFileSync(join(FIXTURES, 'valid', name), 'utf8'));

test('no policies: the default (absent)', () => {
  assert.is(compileInbound(spec(''), { namespace: 'default', labels: {} }), undefined);
});


test('mesh-wide STRICT applies to every workload; port-level modes from the workload policy', () => {
  const s = fixture('peer-authentication-mesh-strict.yaml');
  assert.equal(compileInbound(s, { namespace: 'default', labels: { app: 'web' } }), { mtls: { mode: 'STRICT' }, authz: { policies: [] } });
  assert.equal(compileInbound(s, { namespace: 'default', labels: { app: 'api' } })!.mtls, { mode: 'STRICT', ports: { '9090': 'DISABLE' } });
});

const PA = (ns: string, mode: string, selector = '') => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p-${ns}-${mode.toLowerCase()}${selector ? '-s' : ''}, namespace: ${ns}}\nspec:\n${selector ? `  selector: {matchLabels: {${selector}}}\n` : ''}  mtls: {mode: ${mode}}\n---\n`;

test('workload over namespace over mesh over Mesh.defaultMtlsMode; UNSET inherits', () => {
  const mesh = 'apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec: {defaultMtlsMode: STRICT}\n---\n';
  const w = { namespace: 'shop', labels: { app: 'api' } };
  assert.is(compileInbound(spec(mesh), w)!.mtls.mode, 'STRICT');
  assert.is(compileInbound(spec(mesh + PA('istio-system', 'DISABLE')), w)!.mtls.mode, 'DISABLE');
  assert.is(compileInbound(spec(mesh + PA('istio-system', 'DISABLE') + PA('shop', 'PERMISSIVE')), w), undefined);
  assert.is(compileInbound(spec(PA('shop', 'PERMISSIVE') + PA('shop', 'STRICT', 'app: api')), w)!.mtls.mode, 'STRICT');
  assert.is(compileInbound(spec(PA('shop', 'DISABLE') + PA('shop', 'UNSET', 'app: api')), w)!.mtls.mode, 'DISABLE');
  assert.is(compileInbound(spec(PA('istio-system', 'STRICT', 'app: api')), w), undefined, 'selector policies in the root namespace are ignored');
});

test('authorization policies: own namespace and root namespace, selected by labels, sorted', () => {
  const s = fixture('authorization-deny-conditions.yaml');
  const api = compileInbound(s, { namespace: 'default', labels: { app: 'api' } })!;
  assert.equal(api.authz.policies.map((p) => [p.name, p.action]), [['deny-admin', 'DENY']]);
  assert.equal(api.authz.policies[0]!.rules[1], { from: [{ notIpBlocks: ['10.0.0.0/8'] }], when: [{ key: 'request.headers[x-debug]', values: ['1'] }] });
  const pay = compileInbound(s, { namespace: 'payments', labels: {} })!;
  assert.equal(pay.authz.policies, [{ name: 'allow-nothing', namespace: 'payments', action: 'ALLOW', rules: [] }], 'spec: {} is deny-all');
  assert.is(compileInbound(s, { namespace: 'default', labels: { app: 'web' } }), undefined);
});

test('fields the agent cannot evaluate are listed per rule', () => {
  const ap = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: istio-system}\nspec:\n  rules:\n  - from:\n    - source: {requestPrincipals: ["*"], principals: ["cluster.local/ns/default/sa/web"]}\n';
  const r = loadMeshfile(ap, 'a.yaml');
  const p = compileInbound(r.spec, { namespace: 'default', labels: {} })!.authz.policies[0]!;
  assert.equal(p.rules, [{ from: [{ principals: ['cluster.local/ns/default/sa/web'] }], unsupported: ['from[0].source.requestPrincipals'] }]);
});

test.run();
