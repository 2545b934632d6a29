import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuthzPolicySnapshot } from '../../../wire/types.ts';
import { canonicalPolicyHost, compileAuthz, type AuthzRequest } from '../../../agent/authz/compile-authz.ts';
import { normalizePath, type PathNormalization } from '../../../agent/canonical/normalize-path.ts';
import { normalizeHost } from '../../../agent/canonical/normalize-host.ts';

const WEB = 'cluster.local/ns/default/sa/web';
const SHOP = 'cluster.local/ns/default/sa/shop';
/** A verified JWT as the agent's RequestAuthentication gives it to the policies. */
const JWT = { principal: 'x/alice', audiences: ['shop', 'web'], presenter: 'web-app', claims: { iss: 'x', sub: 'alice', groups: ['dev', 'admins'], org: { team: 'payments' }, admin: true } };

function policy(name: string, action: AuthzPolicySnapshot['action'], rules: AuthzPolicySnapshot['rules']): AuthzPolicySnapshot {
  return { name, namespace: 'default', action, rules };
}

function req(o: Partial<AuthzRequest> = {}): AuthzRequest {
  return { principal: WEB, sourceIp: '172.18.0.5', port: 8080, method: 'GET', path: '/', host: 'api', headers: {}, ...o };
}

// ---- Istio's classic example: app: api allows only GET /api/public/* from the web service account ----
const classic = compileAuthz({
  policies: [policy('api-public', 'ALLOW', [{ from: [{ principals: [WEB] }], to: [{ methods: ['GET'], paths: ['/api/public/*'] }] }])],
});

const matrix: Array<[string, Partial<AuthzRequest>, boolean]> = [
  ['web GET /api/public/items', { path: '/api/public/items' }, true],
  ['web GET /api/public/ (prefix includes the slash)', { path: '/api/public/' }, true],
  ['web GET /api/public/a/b/c', { path: '/api/public/a/b/c' }, true],
  ['web GET /api/public (no trailing slash)', { path: '/api/public' }, false],
  ['web GET /api/publicity', { path: '/api/publicity' }, false],
  ['web GET /api/private', { path: '/api/private' }, false],
  ['web GET /API/public/x (paths are case-sensitive)', { path: '/API/public/x' }, false],
  ['web POST /api/public/items', { method: 'POST', path: '/api/public/items' }, false],
  ['web HEAD /api/public/items', { method: 'HEAD', path: '/api/public/items' }, false],
  ['shop GET /api/public/items', { principal: SHOP, path: '/api/public/items' }, false],
  ['web of another namespace', { principal: 'cluster.local/ns/other/sa/web', path: '/api/public/items' }, false],
  ['plaintext (no principal) GET /api/public/items', { principal: undefined, path: '/api/public/items' }, false],
  ['opaque TCP from web (paths and methods are HTTP-only: ALLOW rule never matches)', { protocol: 'tcp', method: undefined, path: undefined }, false],
];
for (const [name, r, allow] of matrix) {
  test(`classic example: ${name} → ${allow ? 'allow' : 'deny'}`, () => {
    const d = classic(req(r));
    assert.is(d.allow, allow, JSON.stringify(d));
    if (allow) assert.is(d.policy, 'default/api-public');
  });
}

// ---- The same policy behind the canonical path: Istio's normalization cases ----
// [raw target, Istio (BASE) decision, dockmesh (MERGE_SLASHES) decision]; 400 = rejected before authorization.
const normalization: Array<[string, boolean | 400, boolean | 400]> = [
  ['/api/public/items', true, true],
  ['/api/public/../private', false, false],
  ['/api/public/%2E%2E/private', false, false],
  ['/api/public/%2e%2e/private', false, false],
  ['/api/public/./items', true, true],
  ['/api/%70ublic/items', true, true],
  ['/api/private/../public/items', true, true],
  ['/api//public/items', false, true], // the one difference: dockmesh merges slashes (Istio's MERGE_SLASHES)
  ['/api/public//items', true, true],
  ['//api/public/items', false, true],
  ['/api/public%2Fitems', false, false],
  ['/api/public/..%2Fprivate', true, true], // %2F stays encoded: one segment under /api/public/ (see docs/security.md)
  ['/api/public\\items', true, true],
  ['/api/public%5Citems', false, false],
  ['/api/public/items;x=1', true, true],
  ['/api/private;/../public/items', true, true],
  ['/api/public;/../private', false, false],
  ['/api/public/items?debug=../../admin', true, true],
  ['/api/public/items#frag', 400, 400],
  ['/api/public/%00', 400, 400],
];
const decide = (raw: string, mode: PathNormalization): boolean | 400 => {
  const c = normalizePath(raw, mode);
  return c.reject ? 400 : classic(req({ path: c.path })).allow;
};
for (const [raw, istio, dockmesh] of normalization) {
  test(`normalization: GET ${raw} → Istio ${istio}, dockmesh ${dockmesh}`, () => {
    assert.is(decide(raw, 'BASE'), istio, 'BASE must give exactly Istio\'s default decision');
    assert.is(decide(raw, 'MERGE_SLASHES'), dockmesh);
  });
}

// ---- Host: case-insensitive (CVE-2021-39155), trailing dot and port ignored ----
const denyAdmin = compileAuthz({ policies: [policy('deny-admin-host', 'DENY', [{ to: [{ hosts: ['admin.example.com'] }] }])] });
for (const h of ['admin.example.com', 'ADMIN.Example.COM', 'admin.example.com.', 'Admin.Example.Com:8080', 'admin.example.com.:80']) {
  test(`DENY hosts [admin.example.com] denies Host ${h}`, () => assert.is(denyAdmin(req({ host: normalizeHost(h) })).allow, false));
}
test('DENY hosts [admin.example.com] lets Host api through', () => assert.is(denyAdmin(req({ host: 'api' })).allow, true));
for (const [v, want] of [['API.Default:*', 'api.default'], ['api:8080', 'api'], ['*.Example.com.', '*.example.com'], ['[::1]:80', '::1'], ['*', '*']] as const) {
  test(`canonicalPolicyHost(${v}) = ${want}`, () => assert.is(canonicalPolicyHost(v), want));
}

// ---- Evaluation order and special shapes ----
type Row = [name: string, policies: AuthzPolicySnapshot[], r: Partial<AuthzRequest>, allow: boolean, extra?: Partial<{ policy: string; audit: boolean; reason: string }>];
const order: Row[] = [
  ['no policy: allow', [], {}, true, { reason: 'no-policy' }],
  ['spec: {} (ALLOW, no rules) denies everything', [policy('allow-nothing', 'ALLOW', [])], {}, false, { reason: 'no-allow-match' }],
  ['rules: [{}] allows everything', [policy('allow-all', 'ALLOW', [{}])], { principal: undefined }, true, { policy: 'default/allow-all' }],
  ['DENY with rules: [{}] denies everything', [policy('deny-all', 'DENY', [{}])], {}, false, { policy: 'default/deny-all', reason: 'denied' }],
  ['DENY with no rules matches nothing', [policy('deny-none', 'DENY', [])], {}, true, { reason: 'no-policy' }],
  ['only DENY policies, not matching: allow', [policy('d', 'DENY', [{ to: [{ paths: ['/admin'] }] }])], { path: '/x' }, true],
  ['DENY wins over a matching ALLOW', [policy('a', 'ALLOW', [{}]), policy('d', 'DENY', [{ to: [{ paths: ['/admin*'] }] }])], { path: '/admin/x' }, false, { policy: 'default/d' }],
  ['one of several ALLOW policies suffices', [policy('a1', 'ALLOW', [{ to: [{ paths: ['/a'] }] }]), policy('a2', 'ALLOW', [{ to: [{ paths: ['/b'] }] }])], { path: '/b' }, true, { policy: 'default/a2' }],
  ['AUDIT does not change the decision, flags it', [policy('au', 'AUDIT', [{ to: [{ paths: ['/x'] }] }])], { path: '/x' }, true, { audit: true }],
  ['AUDIT with a denying ALLOW set', [policy('au', 'AUDIT', [{}]), policy('a', 'ALLOW', [])], {}, false, { audit: true }],
  ['CUSTOM (unsupported) fails closed for what it matches', [policy('ext', 'CUSTOM', [{ to: [{ paths: ['/secure*'] }] }])], { path: '/secure/x' }, false, { reason: 'custom-unsupported' }],
  ['CUSTOM does not affect what it does not match', [policy('ext', 'CUSTOM', [{ to: [{ paths: ['/secure*'] }] }])], { path: '/open' }, true],
];
for (const [name, policies, r, allow, extra] of order) {
  test(`order: ${name}`, () => {
    const d = compileAuthz({ policies })(req(r));
    assert.is(d.allow, allow, JSON.stringify(d));
    for (const [k, v] of Object.entries(extra ?? {})) assert.is((d as unknown as Record<string, unknown>)[k], v, k);
  });
}

// ---- Fields, one ALLOW rule each ----
const allowIf = (rule: AuthzPolicySnapshot['rules'][number]) => compileAuthz({ policies: [policy('p', 'ALLOW', [rule])] });
const fields: Array<[string, AuthzPolicySnapshot['rules'][number], Partial<AuthzRequest>, boolean]> = [
  // principals: exact, prefix, suffix, presence; not*
  ['principals exact', { from: [{ principals: [WEB] }] }, {}, true],
  ['principals prefix', { from: [{ principals: ['cluster.local/ns/default/*'] }] }, { principal: SHOP }, true],
  ['principals suffix', { from: [{ principals: ['*/sa/web'] }] }, { principal: 'cluster.local/ns/x/sa/web' }, true],
  ['principals presence: any mTLS peer', { from: [{ principals: ['*'] }] }, {}, true],
  ['principals presence: plaintext does not match', { from: [{ principals: ['*'] }] }, { principal: undefined }, false],
  ['notPrincipals excludes', { from: [{ notPrincipals: [WEB] }] }, {}, false],
  ['notPrincipals lets others', { from: [{ notPrincipals: [WEB] }] }, { principal: SHOP }, true],
  ['notPrincipals matches plaintext (no principal is not WEB)', { from: [{ notPrincipals: [WEB] }] }, { principal: undefined }, true],
  ['namespaces from the principal', { from: [{ namespaces: ['default'] }] }, {}, true],
  ['namespaces other', { from: [{ namespaces: ['prod'] }] }, {}, false],
  ['namespaces presence with plaintext', { from: [{ namespaces: ['*'] }] }, { principal: undefined }, false],
  ['notNamespaces', { from: [{ notNamespaces: ['default'] }] }, {}, false],
  ['fields of one source are ANDed', { from: [{ principals: [WEB], namespaces: ['prod'] }] }, {}, false],
  ['sources are ORed', { from: [{ namespaces: ['prod'] }, { principals: [WEB] }] }, {}, true],
  // ip blocks
  ['ipBlocks single IP', { from: [{ ipBlocks: ['172.18.0.5'] }] }, {}, true],
  ['ipBlocks CIDR', { from: [{ ipBlocks: ['172.18.0.0/16'] }] }, {}, true],
  ['ipBlocks other CIDR', { from: [{ ipBlocks: ['10.0.0.0/8'] }] }, {}, false],
  ['ipBlocks and an IPv4-mapped IPv6 source', { from: [{ ipBlocks: ['172.18.0.0/16'] }] }, { sourceIp: '::ffff:172.18.0.5' }, true],
  ['ipBlocks IPv6 CIDR', { from: [{ ipBlocks: ['fd00::/8'] }] }, { sourceIp: 'fd00::1:2' }, true],
  ['notIpBlocks', { from: [{ notIpBlocks: ['172.18.0.5'] }] }, {}, false],
  ['remoteIpBlocks = source IP (no trusted proxy)', { from: [{ remoteIpBlocks: ['172.18.0.0/24'] }] }, {}, true],
  ['notRemoteIpBlocks', { from: [{ notRemoteIpBlocks: ['172.18.0.0/24'] }] }, {}, false],
  // operation
  ['hosts exact, case-insensitive', { to: [{ hosts: ['API'] }] }, {}, true],
  ['hosts suffix', { to: [{ hosts: ['*.default.svc.cluster.local'] }] }, { host: 'api.default.svc.cluster.local' }, true],
  ['hosts with :* (Istio\'s port pattern)', { to: [{ hosts: ['api:*'] }] }, {}, true],
  ['notHosts', { to: [{ notHosts: ['api'] }] }, {}, false],
  ['ports', { to: [{ ports: ['8080'] }] }, {}, true],
  ['ports other', { to: [{ ports: ['9090'] }] }, {}, false],
  ['notPorts', { to: [{ notPorts: ['8080'] }] }, {}, false],
  ['methods', { to: [{ methods: ['GET', 'HEAD'] }] }, { method: 'HEAD' }, true],
  ['notMethods', { to: [{ notMethods: ['DELETE'] }] }, { method: 'DELETE' }, false],
  ['paths exact', { to: [{ paths: ['/x'] }] }, { path: '/x' }, true],
  ['paths suffix', { to: [{ paths: ['*.png'] }] }, { path: '/img/a.png' }, true],
  ['paths presence', { to: [{ paths: ['*'] }] }, { path: '/' }, true],
  ['notPaths', { to: [{ notPaths: ['/admin*'] }] }, { path: '/admin/x' }, false],
  ['operation fields are ANDed', { to: [{ methods: ['GET'], paths: ['/x'] }] }, { method: 'POST', path: '/x' }, false],
  ['operations are ORed', { to: [{ methods: ['POST'] }, { paths: ['/x'] }] }, { path: '/x' }, true],
  // path templates (Istio reference examples)
  ['{*} one segment', { to: [{ paths: ['/foo/{*}'] }] }, { path: '/foo/bar' }, true],
  ['{*} not two segments', { to: [{ paths: ['/foo/{*}'] }] }, { path: '/foo/bar/baz' }, false],
  ['{*} not an empty segment', { to: [{ paths: ['/foo/{*}'] }] }, { path: '/foo/' }, false],
  ['{**}/ matches /foo/bar/', { to: [{ paths: ['/foo/{**}/'] }] }, { path: '/foo/bar/' }, true],
  ['{**}/ matches /foo//', { to: [{ paths: ['/foo/{**}/'] }] }, { path: '/foo//' }, true],
  ['{**}/ does not match /foo/bar', { to: [{ paths: ['/foo/{**}/'] }] }, { path: '/foo/bar' }, false],
  ['{*}/bar/{**} matches /foo/buzz/bar/', { to: [{ paths: ['/foo/{*}/bar/{**}'] }] }, { path: '/foo/buzz/bar/' }, true],
  ['{*}/bar/{**} matches /foo/buzz/bar/baz', { to: [{ paths: ['/foo/{*}/bar/{**}'] }] }, { path: '/foo/buzz/bar/baz' }, true],
  ['{**} matches many segments', { to: [{ paths: ['/api/{**}'] }] }, { path: '/api/a/b/c' }, true],
  ['{**} does not cross the literal prefix', { to: [{ paths: ['/api/{**}'] }] }, { path: '/apix/a' }, false],
  ['invalid template /foo/{*}.txt never matches in ALLOW', { to: [{ paths: ['/foo/{*}.txt'] }] }, { path: '/foo/a.txt' }, false],
  ['invalid template /{**}/foo/{*} never matches in ALLOW', { to: [{ paths: ['/{**}/foo/{*}'] }] }, { path: '/a/foo/b' }, false],
  // when
  ['when request.headers exact', { when: [{ key: 'request.headers[X-Version]', values: ['v2'] }] }, { headers: { 'x-version': 'v2' } }, true],
  ['when request.headers absent', { when: [{ key: 'request.headers[x-version]', values: ['*'] }] }, {}, false],
  ['when request.headers repeated are joined with ,', { when: [{ key: 'request.headers[x-a]', values: ['1,2'] }] }, { headers: { 'x-a': ['1', '2'] } }, true],
  ['when request.headers prefix', { when: [{ key: 'request.headers[user-agent]', values: ['curl/*'] }] }, { headers: { 'user-agent': 'curl/8.1' } }, true],
  ['when notValues', { when: [{ key: 'request.headers[x-a]', notValues: ['bad'] }] }, { headers: { 'x-a': 'bad' } }, false],
  ['when values and notValues', { when: [{ key: 'request.headers[x-a]', values: ['a*'], notValues: ['ab'] }] }, { headers: { 'x-a': 'ac' } }, true],
  ['when source.principal', { when: [{ key: 'source.principal', values: [WEB] }] }, {}, true],
  ['when source.namespace', { when: [{ key: 'source.namespace', values: ['default'] }] }, {}, true],
  ['when source.ip', { when: [{ key: 'source.ip', values: ['172.18.0.0/16'] }] }, {}, true],
  ['when source.ip notValues', { when: [{ key: 'source.ip', notValues: ['172.18.0.5'] }] }, {}, false],
  ['when remote.ip', { when: [{ key: 'remote.ip', values: ['172.18.0.5'] }] }, {}, true],
  ['when destination.port', { when: [{ key: 'destination.port', values: ['8080'] }] }, {}, true],
  ['when destination.port other', { when: [{ key: 'destination.port', values: ['80'] }] }, {}, false],
  ['when conditions are ANDed', { when: [{ key: 'source.namespace', values: ['default'] }, { key: 'destination.port', values: ['80'] }] }, {}, false],
  ['when request.auth.claims without a JWT', { when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }, {}, false],
  ['when request.auth.claims[iss]', { when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }, { auth: JWT }, true],
  ['when request.auth.claims[groups], a list: one value matches', { when: [{ key: 'request.auth.claims[groups]', values: ['admins'] }] }, { auth: JWT }, true],
  ['when request.auth.claims[groups] notValues, one value matches', { when: [{ key: 'request.auth.claims[groups]', notValues: ['dev*'] }] }, { auth: JWT }, false],
  ['when request.auth.claims[org][team], nested', { when: [{ key: 'request.auth.claims[org][team]', values: ['pay*'] }] }, { auth: JWT }, true],
  ['when request.auth.claims[admin], a boolean: no string to match', { when: [{ key: 'request.auth.claims[admin]', values: ['true'] }] }, { auth: JWT }, false],
  ['when request.auth.principal', { when: [{ key: 'request.auth.principal', values: ['x/alice'] }] }, { auth: JWT }, true],
  ['when request.auth.audiences', { when: [{ key: 'request.auth.audiences', values: ['shop'] }] }, { auth: JWT }, true],
  ['when request.auth.presenter', { when: [{ key: 'request.auth.presenter', values: ['web-app'] }] }, { auth: JWT }, true],
  ['requestPrincipals [*] without a JWT', { from: [{ requestPrincipals: ['*'] }] }, {}, false],
  ['requestPrincipals [*] with a JWT', { from: [{ requestPrincipals: ['*'] }] }, { auth: JWT }, true],
  ['requestPrincipals [x/*]', { from: [{ requestPrincipals: ['x/*'] }] }, { auth: JWT }, true],
  ['requestPrincipals [y/*]', { from: [{ requestPrincipals: ['y/*'] }] }, { auth: JWT }, false],
  ['notRequestPrincipals [*] without a JWT', { from: [{ notRequestPrincipals: ['*'] }] }, {}, true],
  ['notRequestPrincipals [*] with a JWT', { from: [{ notRequestPrincipals: ['*'] }] }, { auth: JWT }, false],
  ['from, to and when together', { from: [{ principals: [WEB] }], to: [{ methods: ['GET'] }], when: [{ key: 'destination.port', values: ['8080'] }] }, {}, true],
];
for (const [name, rule, r, allow] of fields) {
  test(`ALLOW field: ${name} → ${allow}`, () => assert.is(allowIf(rule)(req(r)).allow, allow));
}

// Unsupported or HTTP-only fields in DENY rules are ignored: the rest of the rule decides (fails closed).
const denyRows: Array<[string, AuthzPolicySnapshot['rules'][number], Partial<AuthzRequest>, boolean]> = [
  ['DENY notRequestPrincipals [*] (Istio\'s "require a JWT"): no JWT, denied', { from: [{ notRequestPrincipals: ['*'] }] }, {}, false],
  ['DENY notRequestPrincipals [*]: with a JWT, allowed', { from: [{ notRequestPrincipals: ['*'] }] }, { auth: JWT }, true],
  ['DENY requestPrincipals on opaque TCP: ignored (HTTP-only), denies', { from: [{ requestPrincipals: ['x/*'] }] }, { protocol: 'tcp', path: undefined, method: undefined }, false],
  ['DENY connection.sni (unsupported) only: denies', { when: [{ key: 'connection.sni', values: ['x'] }] }, {}, false],
  ['DENY paths on opaque TCP: denies the connection', { to: [{ paths: ['/admin'] }] }, { protocol: 'tcp', path: undefined, method: undefined }, false],
  ['DENY paths + ports on TCP, other port: allows', { to: [{ paths: ['/admin'], ports: ['9090'] }] }, { protocol: 'tcp', path: undefined }, true],
  ['DENY invalid ipBlock + principals: denies on the principal', { from: [{ ipBlocks: ['300.1.1.1'], principals: [WEB] }] }, {}, false],
];
for (const [name, rule, r, allow] of denyRows) {
  test(name, () => assert.is(compileAuthz({ policies: [policy('d', 'DENY', [rule])] })(req(r)).allow, allow));
}

// ---- Identity fields derived from the peer's principal: serviceAccounts (`<namespace>/<service
// account>`, any trust domain: Istio's shorthand for principals) and trustDomains (before /ns/) ----
const bySa = (from: Record<string, string[]>, action: AuthzPolicySnapshot['action'] = 'ALLOW') => compileAuthz({ policies: [policy('sa', action, [{ from: [from as never] }])] });
const identityRows: Array<[string, Record<string, string[]>, Partial<AuthzRequest>, boolean]> = [
  ['ALLOW serviceAccounts [default/web]: web', { serviceAccounts: ['default/web'] }, {}, true],
  ['ALLOW serviceAccounts [default/web]: web of another trust domain', { serviceAccounts: ['default/web'] }, { principal: 'example.org/ns/default/sa/web' }, true],
  ['ALLOW serviceAccounts [default/web]: shop', { serviceAccounts: ['default/web'] }, { principal: SHOP }, false],
  ['ALLOW serviceAccounts [default/web]: web of namespace other', { serviceAccounts: ['default/web'] }, { principal: 'cluster.local/ns/other/sa/web' }, false],
  ['ALLOW serviceAccounts [default/web]: plaintext (no peer)', { serviceAccounts: ['default/web'] }, { principal: undefined }, false],
  ['ALLOW serviceAccounts [default/*]: shop', { serviceAccounts: ['default/*'] }, { principal: SHOP }, true],
  ['ALLOW notServiceAccounts [default/web]: shop', { notServiceAccounts: ['default/web'] }, { principal: SHOP }, true],
  ['ALLOW notServiceAccounts [default/web]: web', { notServiceAccounts: ['default/web'] }, {}, false],
  ['ALLOW trustDomains [cluster.local]: web', { trustDomains: ['cluster.local'] }, {}, true],
  ['ALLOW trustDomains [cluster.local]: a peer of example.org', { trustDomains: ['cluster.local'] }, { principal: 'example.org/ns/default/sa/web' }, false],
  ['ALLOW trustDomains [cluster.local]: plaintext', { trustDomains: ['cluster.local'] }, { principal: undefined }, false],
  ['ALLOW trustDomains [*.org]: a peer of example.org', { trustDomains: ['*.org'] }, { principal: 'example.org/ns/default/sa/web' }, true],
  ['ALLOW notTrustDomains [example.org]: web', { notTrustDomains: ['example.org'] }, {}, true],
];
for (const [name, from, r, allow] of identityRows) {
  test(name, () => {
    const c = bySa(from);
    assert.equal(c.problems, []);
    assert.is(c(req(r)).allow, allow);
  });
}
test('DENY serviceAccounts [default/web] over TCP: web denied, shop allowed', () => {
  const c = bySa({ serviceAccounts: ['default/web'] }, 'DENY');
  assert.is(c(req({ protocol: 'tcp', method: undefined, path: undefined })).allow, false);
  assert.is(c(req({ protocol: 'tcp', method: undefined, path: undefined, principal: SHOP })).allow, true);
});

test('problems name each unsupported or invalid field', () => {
  const c = compileAuthz({
    policies: [
      policy('p', 'ALLOW', [{ when: [{ key: 'connection.sni', values: ['x'] }], to: [{ paths: ['/{**}/x/{*}'], ports: ['http'] }] }]),
      policy('c', 'CUSTOM', []),
    ],
  });
  const text = c.problems.join('\n');
  assert.match(text, /connection\.sni/);
  assert.match(text, /invalid path template/);
  assert.match(text, /ports must be port numbers/);
  assert.match(text, /default\/c: action CUSTOM is not supported/);
  assert.ok(c.enforcing);
  assert.not.ok(compileAuthz(undefined).enforcing);
});

test('compiled once: evaluation builds no RegExp', () => {
  const c = allowIf({ to: [{ paths: ['/foo/{*}/bar/{**}', '/x*'] }], from: [{ ipBlocks: ['10.0.0.0/8'] }] });
  const Orig = RegExp;
  let built = 0;
  const Spy = function (this: unknown, ...a: ConstructorParameters<typeof RegExp>) {
    built++;
    return new Orig(...a);
  } as unknown as RegExpConstructor;
  globalThis.RegExp = Spy;
  try {
    for (let i = 0; i < 100; i++) c(req({ path: '/foo/a/bar/b', sourceIp: '10.1.2.3' }));
  } finally {
    globalThis.RegExp = Orig;
  }
  assert.is(built, 0);
});

test.run();
