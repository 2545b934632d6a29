import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshObject } from '../../../control/meshfile/mesh-spec.ts';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec } from '../../../control/meshfile/security-spec.ts';
import { compileInbound } from '../../../control/compile/inbound.ts';
import { compileAuthz } from '../../../agent/authz/compile-authz.ts';
import type { PolicyTarget } from '../../../control/compile/workload-selector.ts';

let line = 1;
function pa(name: string, namespace: string, spec: PeerAuthenticationSpec): MeshObject<PeerAuthenticationSpec> {
  return { kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', name, namespace, file: 'mesh.yaml', line: line++, index: 0, spec };
}
function ap(name: string, namespace: string, spec: AuthorizationPolicySpec): MeshObject<AuthorizationPolicySpec> {
  return { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', name, namespace, file: 'mesh.yaml', line: line++, index: 0, spec };
}

const api: PolicyTarget = { namespace: 'default', labels: { app: 'api', version: 'v1' } };
const web: PolicyTarget = { namespace: 'default', labels: { app: 'web' } };

type MtlsCase = [name: string, policies: MeshObject<PeerAuthenticationSpec>[], workload: typeof api, mode: string, ports?: Record<string, string>, defaultMode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE'];
const mtls: MtlsCase[] = [
  ['no policy: PERMISSIVE', [], api, 'PERMISSIVE'],
  ['no policy, Mesh defaultMtlsMode STRICT', [], api, 'STRICT', undefined, 'STRICT'],
  ['mesh-wide "default" in istio-system, STRICT (works unchanged)', [pa('default', 'istio-system', { mtls: { mode: 'STRICT' } })], api, 'STRICT'],
  ['mesh-wide policy beats Mesh defaultMtlsMode', [pa('default', 'istio-system', { mtls: { mode: 'PERMISSIVE' } })], api, 'PERMISSIVE', undefined, 'STRICT'],
  ['namespace-wide in default', [pa('default', 'default', { mtls: { mode: 'STRICT' } })], api, 'STRICT'],
  ['namespace-wide of another namespace does not apply', [pa('default', 'prod', { mtls: { mode: 'STRICT' } })], api, 'PERMISSIVE'],
  ['namespace-wide beats mesh-wide', [pa('m', 'istio-system', { mtls: { mode: 'STRICT' } }), pa('n', 'default', { mtls: { mode: 'PERMISSIVE' } })], api, 'PERMISSIVE'],
  ['workload selector beats namespace', [pa('n', 'default', { mtls: { mode: 'PERMISSIVE' } }), pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' } })], api, 'STRICT'],
  ['workload selector not matching', [pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' } })], web, 'PERMISSIVE'],
  ['selector needs every label', [pa('w', 'default', { selector: { matchLabels: { app: 'api', version: 'v2' } }, mtls: { mode: 'STRICT' } })], api, 'PERMISSIVE'],
  ['selector policy in the root namespace is ignored', [pa('w', 'istio-system', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' } })], api, 'PERMISSIVE'],
  ['workload UNSET inherits namespace', [pa('n', 'default', { mtls: { mode: 'STRICT' } }), pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'UNSET' } })], api, 'STRICT'],
  ['workload without mtls inherits mesh', [pa('m', 'istio-system', { mtls: { mode: 'STRICT' } }), pa('w', 'default', { selector: { matchLabels: { app: 'api' } } })], api, 'STRICT'],
  ['namespace UNSET inherits mesh', [pa('m', 'istio-system', { mtls: { mode: 'DISABLE' } }), pa('n', 'default', { mtls: { mode: 'UNSET' } })], api, 'DISABLE'],
  ['everything UNSET: PERMISSIVE', [pa('m', 'istio-system', { mtls: { mode: 'UNSET' } })], api, 'PERMISSIVE'],
  [
    'portLevelMtls on a selector policy',
    [pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' }, '9090': { mode: 'STRICT' } } })],
    api,
    'STRICT',
    { '8080': 'DISABLE' },
  ],
  [
    'portLevelMtls with mode UNSET inherits the namespace for the rest',
    [pa('n', 'default', { mtls: { mode: 'STRICT' } }), pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } })],
    api,
    'STRICT',
    { '8080': 'DISABLE' },
  ],
  [
    'a port UNSET inherits the workload mode',
    [pa('w', 'default', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'UNSET' } } })],
    api,
    'STRICT',
    {},
  ],
  ['portLevelMtls without selector is ignored', [pa('n', 'default', { mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } })], api, 'STRICT', {}],
  ['two namespace-wide policies: the first wins', [pa('a', 'default', { mtls: { mode: 'DISABLE' } }), pa('b', 'default', { mtls: { mode: 'STRICT' } })], api, 'DISABLE'],
];
for (const [name, policies, workload, mode, ports, defaultMode] of mtls) {
  test(`mTLS: ${name} → ${mode}`, () => {
    const { inbound } = compileInbound({ workload, peerAuthentications: policies, authorizationPolicies: [], defaultMtlsMode: defaultMode });
    assert.is(inbound.mtls.mode, mode);
    assert.equal(inbound.mtls.ports ?? {}, ports ?? {});
  });
}

test('warnings: shadowed policies and ignored portLevelMtls', () => {
  const { warnings } = compileInbound({
    workload: api,
    peerAuthentications: [pa('a', 'default', { mtls: { mode: 'DISABLE' }, portLevelMtls: { '80': { mode: 'STRICT' } } }), pa('b', 'default', { mtls: { mode: 'STRICT' } })],
    authorizationPolicies: [],
  });
  assert.match(warnings.join('\n'), /default\/b .* ignored: default\/a/);
  assert.match(warnings.join('\n'), /portLevelMtls ignored/);
});

const classic = ap('api-public', 'default', {
  selector: { matchLabels: { app: 'api' } },
  action: 'ALLOW',
  rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/web'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/public/*'] } }] }],
});

test('the classic example selects app: api only, and compiles to the agent form', () => {
  const forApi = compileInbound({ workload: api, peerAuthentications: [], authorizationPolicies: [classic] }).inbound.authz;
  const forWeb = compileInbound({ workload: web, peerAuthentications: [], authorizationPolicies: [classic] }).inbound.authz;
  assert.equal(forWeb.policies, []);
  assert.equal(forApi.policies, [
    {
      name: 'api-public',
      namespace: 'default',
      action: 'ALLOW',
      rules: [{ from: [{ principals: ['cluster.local/ns/default/sa/web'] }], to: [{ methods: ['GET'], paths: ['/api/public/*'] }] }],
    },
  ]);
  const evaluate = compileAuthz(forApi);
  assert.ok(evaluate({ principal: 'cluster.local/ns/default/sa/web', sourceIp: '10.0.0.2', port: 8080, method: 'GET', path: '/api/public/x', host: 'api' }).allow);
  assert.not.ok(evaluate({ principal: 'cluster.local/ns/default/sa/web', sourceIp: '10.0.0.2', port: 8080, method: 'GET', path: '/api/admin', host: 'api' }).allow);
});

type SelCase = [name: string, policy: MeshObject<AuthorizationPolicySpec>, workload: typeof api, selected: boolean];
const selection: SelCase[] = [
  ['namespace-wide (no selector)', ap('p', 'default', {}), api, true],
  ['other namespace', ap('p', 'prod', {}), api, false],
  ['root namespace, no selector: every workload', ap('p', 'istio-system', {}), api, true],
  ['root namespace with selector: matching workloads in all namespaces', ap('p', 'istio-system', { selector: { matchLabels: { app: 'api' } } }), api, true],
  ['root namespace with selector, not matching', ap('p', 'istio-system', { selector: { matchLabels: { app: 'db' } } }), api, false],
  ['targetRefs: attaches to a gateway, not the sidecar', ap('p', 'default', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }), api, false],
];
for (const [name, policy, workload, selected] of selection) {
  test(`authz selection: ${name}`, () => {
    const { inbound } = compileInbound({ workload, peerAuthentications: [], authorizationPolicies: [policy] });
    assert.is(inbound.authz.policies.length, selected ? 1 : 0);
  });
}

test('spec: {} compiles to an ALLOW policy with no rules (deny all); rules: [{}] to one empty rule', () => {
  const { inbound } = compileInbound({ workload: api, peerAuthentications: [], authorizationPolicies: [ap('deny-all', 'default', {}), ap('allow-all', 'default', { rules: [{}] })] });
  assert.equal(inbound.authz.policies.map((p) => [p.name, p.action, p.rules]), [['deny-all', 'ALLOW', []], ['allow-all', 'ALLOW', [{}]]]);
});

test('requestPrincipals compile to the agent form; CUSTOM is warned about', () => {
  const { inbound, warnings } = compileInbound({
    workload: api,
    peerAuthentications: [],
    authorizationPolicies: [ap('jwt', 'default', { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'], namespaces: ['prod'] } }] }] }), ap('ext', 'default', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] })],
  });
  assert.is(inbound.authz.policies[0]!.rules[0]!.unsupported, undefined);
  assert.equal(inbound.authz.policies[0]!.rules[0]!.from, [{ namespaces: ['prod'], notRequestPrincipals: ['*'] }]);
  assert.equal(warnings.length, 1);
  assert.match(warnings.join('\n'), /CUSTOM is not supported/);
});

test('RequestAuthentication: the root namespace\'s apply everywhere, a namespace\'s to its workloads, a selector narrows; rules merged; targetRef warned', () => {
  const ra = (name: string, namespace: string, spec: Record<string, unknown>) => ({ ...ap(name, namespace, {}), kind: 'RequestAuthentication', spec }) as never;
  const { inbound, warnings } = compileInbound({
    workload: api,
    peerAuthentications: [],
    authorizationPolicies: [],
    requestAuthentications: [
      ra('mesh', 'istio-system', { jwtRules: [{ issuer: 'https://a', jwksUri: 'http://auth/keys', timeout: '2s' }] }),
      ra('ns', api.namespace, { jwtRules: [{ issuer: 'b', jwks: '{"keys":[]}', fromHeaders: [{ name: 'X-Jwt', prefix: 'Token ' }], outputClaimToHeaders: [{ header: 'X-User', claim: 'sub' }], failureMode: 'STRICT' }] }),
      ra('other', 'elsewhere', { jwtRules: [{ issuer: 'c', jwksUri: 'http://c/keys' }] }),
      ra('not-api', api.namespace, { selector: { matchLabels: { app: 'web' } }, jwtRules: [{ issuer: 'd', jwksUri: 'http://d/keys' }] }),
      ra('gw', api.namespace, { targetRef: { kind: 'Gateway', name: 'ingress' }, jwtRules: [{ issuer: 'e', jwksUri: 'http://e/keys' }] }),
    ],
  });
  assert.equal(inbound.jwt, [
    { issuer: 'https://a', source: 'istio-system/mesh', jwksUri: 'http://auth/keys', timeoutMs: 2000 },
    { issuer: 'b', source: `${api.namespace}/ns`, jwks: '{"keys":[]}', fromHeaders: [{ name: 'x-jwt', prefix: 'Token ' }], outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }], failureMode: 'STRICT' },
  ]);
  assert.match(warnings.join('\n'), /RequestAuthentication .*\/gw .*targetRef/);
});

test('serviceAccounts and notServiceAccounts compile to the agent form (not unsupported); the meshfile check warns on a value without a namespace', async () => {
  const { inbound, warnings } = compileInbound({
    workload: api,
    peerAuthentications: [],
    authorizationPolicies: [ap('sa', 'default', { rules: [{ from: [{ source: { serviceAccounts: ['default/web'], notServiceAccounts: ['default/batch'] } }] }] })],
  });
  assert.equal(inbound.authz.policies[0]!.rules[0], { from: [{ serviceAccounts: ['default/web'], notServiceAccounts: ['default/batch'] }] });
  assert.equal(warnings, []);
  const { loadMeshfile } = await import('../../../control/meshfile/load-meshfile.ts');
  const doc = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: sa}\nspec:\n  rules:\n  - from:\n    - source:\n        serviceAccounts: [web, default/web, "*"]\n';
  assert.equal(loadMeshfile(doc, 'm.yaml').diagnostics.map((d) => `${d.code} ${d.path}`), ['MESH_WARN_UNSUPPORTED_VALUE spec.rules[0].from[0].source.serviceAccounts[0]']);
});

test.run();
