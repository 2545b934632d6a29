/** agent/authn/jwt-authn.ts and jwks-cache.ts: Envoy's jwt_authn as Istio configures it, with a stubbed JWKS fetch. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JwksCache } from '../../../agent/authn/jwks-cache.ts';
import { JWT_CACHE_SIZE, JwtAuthn, type JwtOutcome } from '../../../agent/authn/jwt-authn.ts';
import type { JwtRuleSnapshot } from '../../../wire/types.ts';
import { parseJwks, type JwtKeySet } from '../../../agent/authn/jwt-verify.ts';
import { es256Issuer } from '../../support/jwt-signer.ts';

const NOW = 1_700_000_000;
const A = es256Issuer('https://a.example');
const B = es256Issuer('https://b.example');
const claims = { sub: 'alice', exp: NOW + 600, aud: 'shop', groups: ['admins'], org: { team: 'pay' }, n: 7 };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

function authn(rules: Partial<JwtRuleSnapshot>[], fetched: Record<string, string> = {}): { a: JwtAuthn; fetches: string[] } {
  const fetches: string[] = [];
  const cache = new JwksCache({
    fetch: async (url) => {
      fetches.push(url);
      if (!(url in fetched)) throw new Error(`HTTP 404`);
      return fetched[url]!;
    },
  });
  return { a: new JwtAuthn(rules.map((r) => ({ issuer: 'https://a.example', source: 'default/ra', ...r })), cache), fetches };
}

async function settle(a: JwtAuthn, headers: Record<string, string>, query = ''): Promise<JwtOutcome> {
  for (;;) {
    const o = a.authenticate(headers, query, NOW);
    if (o.kind !== 'wait') return o;
    await o.ready;
  }
}

test('no token passes without an identity; a valid one gives iss/sub, audiences, claims', async () => {
  const { a } = authn([{ jwks: A.jwks }]);
  assert.equal(a.authenticate({}, '', NOW), { kind: 'none' });
  const o = await settle(a, bearer(A.token(claims)));
  assert.is(o.kind, 'ok');
  if (o.kind !== 'ok') return;
  assert.equal([o.auth.principal, o.auth.audiences, (o.auth.claims as { groups: string[] }).groups], ['https://a.example/alice', ['shop'], ['admins']]);
  assert.is(o.header, 'authorization');
});

test('an invalid token is refused with Envoy\'s message: expired, another issuer, a wrong key', async () => {
  const { a } = authn([{ jwks: A.jwks }]);
  assert.equal(a.authenticate(bearer(A.token({ ...claims, exp: NOW - 3600 })), '', NOW), { kind: 'fail', message: 'Jwt is expired', missing: false });
  assert.equal(a.authenticate(bearer(B.token(claims)), '', NOW), { kind: 'fail', message: 'Jwt issuer is not configured', missing: false });
  const forged = A.token(claims).split('.');
  forged[2] = B.token(claims).split('.')[2]!;
  assert.equal(a.authenticate(bearer(forged.join('.')), '', NOW), { kind: 'fail', message: 'Jwt verification fails', missing: false });
});

test('two issuers: each token verified by its own rule', async () => {
  const { a } = authn([{ jwks: A.jwks }, { issuer: 'https://b.example', jwks: B.jwks }]);
  assert.is((await settle(a, bearer(B.token(claims)))).kind, 'ok');
  assert.is((await settle(a, bearer(A.token(claims)))).kind, 'ok');
});

test('failureMode: STRICT refuses a missing token; IGNORE never refuses', () => {
  assert.equal(authn([{ jwks: A.jwks, failureMode: 'STRICT' }]).a.authenticate({}, '', NOW), { kind: 'fail', message: 'Jwt is missing', missing: true });
  assert.equal(authn([{ jwks: A.jwks, failureMode: 'IGNORE' }]).a.authenticate(bearer('x.y.z'), '', NOW), { kind: 'none' });
});

test('jwksUri: the first token waits for the fetch, later ones use the cached set; a failed fetch fails with "Jwks remote fetch is failed"', async () => {
  const { a, fetches } = authn([{ jwksUri: 'http://auth/keys' }], { 'http://auth/keys': A.jwks });
  const first = a.authenticate(bearer(A.token(claims)), '', NOW);
  assert.is(first.kind, 'wait');
  assert.is((await settle(a, bearer(A.token(claims)))).kind, 'ok');
  assert.is((await settle(a, bearer(A.token(claims)))).kind, 'ok');
  assert.equal(fetches, ['http://auth/keys']);
  const broken = authn([{ jwksUri: 'http://auth/missing' }]);
  assert.equal(await settle(broken.a, bearer(A.token(claims))), { kind: 'fail', message: 'Jwks remote fetch is failed', missing: false });
});

test('no jwksUri: found by OpenID discovery from the issuer', async () => {
  const { a, fetches } = authn([{}], { 'https://a.example/.well-known/openid-configuration': JSON.stringify({ jwks_uri: 'https://a.example/jwks' }), 'https://a.example/jwks': A.jwks });
  assert.is((await settle(a, bearer(A.token(claims)))).kind, 'ok');
  assert.equal(fetches, ['https://a.example/.well-known/openid-configuration', 'https://a.example/jwks']);
});

test('forwarded headers: the token header removed unless forwardOriginalToken; payload and claims written, old values replaced', async () => {
  const token = A.token(claims);
  const { a } = authn([{ jwks: A.jwks, outputPayloadToHeader: 'x-jwt-payload', outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }, { header: 'x-team', claim: 'org.team' }, { header: 'x-n', claim: 'n' }, { header: 'x-groups', claim: 'groups' }] }]);
  const o = await settle(a, bearer(token));
  if (o.kind !== 'ok') throw new Error(o.kind);
  const out = a.forwardHeaders(['host', 'api', 'Authorization', `Bearer ${token}`, 'x-user', 'mallory'], o);
  assert.equal(out, ['host', 'api', 'x-jwt-payload', token.split('.')[1], 'x-user', 'alice', 'x-team', 'pay', 'x-n', '7']);
  const keep = authn([{ jwks: A.jwks, forwardOriginalToken: true }]);
  const k = await settle(keep.a, bearer(token));
  if (k.kind !== 'ok') throw new Error(k.kind);
  assert.equal(keep.a.forwardHeaders(['authorization', `Bearer ${token}`], k), ['authorization', `Bearer ${token}`]);
});

test('custom locations: only those are read; inline JWKS that does not parse is a problem', async () => {
  const { a } = authn([{ jwks: A.jwks, fromHeaders: [{ name: 'x-jwt', prefix: 'Token ' }], fromParams: ['t'] }]);
  assert.equal(a.authenticate(bearer(A.token(claims)), '', NOW), { kind: 'none' }, 'Authorization is not a location of this rule');
  assert.is((await settle(a, { 'x-jwt': `Token ${A.token(claims)}` })).kind, 'ok');
  assert.is((await settle(a, {}, `t=${A.token(claims)}`)).kind, 'ok');
  assert.equal(authn([{ jwks: '{"keys": 1}' }]).a.problems.length, 1);
});

test('verified tokens are kept: a token seen again is not verified again, but still expires, and a new key set verifies it afresh', async () => {
  const { a } = authn([{ jwks: A.jwks }]);
  const token = A.token({ ...claims, exp: NOW + 100 });
  const first = await settle(a, bearer(token));
  const second = await settle(a, bearer(token));
  assert.is(first.kind, 'ok');
  assert.ok(first.kind === 'ok' && second.kind === 'ok' && second.jwt === first.jwt, 'the cached verification');
  assert.equal(a.authenticate(bearer(token), '', NOW + 100 + 61), { kind: 'fail', message: 'Jwt is expired', missing: false }, 'past exp + skew: verified again, and refused');
  const early = A.token({ ...claims, nbf: NOW + 1000, exp: NOW + 5000 });
  assert.is(a.authenticate(bearer(early), '', NOW + 1000).kind, 'ok');
  assert.equal(a.authenticate(bearer(early), '', NOW), { kind: 'fail', message: 'Jwt not yet valid', missing: false }, 'a cached token before its nbf');
  // A jwksUri whose set is refetched with another key: the cached entry does not outlive its key set.
  const setOf = (text: string) => parseJwks(text) as JwtKeySet;
  let current = setOf(A.jwks);
  const fetched = new JwtAuthn([{ issuer: 'https://a.example', jwksUri: 'http://auth/keys', source: 'default/ra' }], Object.assign(new JwksCache(), { keys: () => current }));
  assert.is(fetched.authenticate(bearer(token), '', NOW).kind, 'ok');
  assert.is(fetched.authenticate(bearer(token), '', NOW).kind, 'ok');
  current = setOf(B.jwks);
  assert.equal(fetched.authenticate(bearer(token), '', NOW), { kind: 'fail', message: 'Jwt verification fails', missing: false });
});

test('the cache holds at most JWT_CACHE_SIZE tokens, the least recently used leaving first', async () => {
  const { a } = authn([{ jwks: A.jwks }]);
  const tokens = Array.from({ length: JWT_CACHE_SIZE + 1 }, (_, i) => A.token({ ...claims, jti: String(i) }));
  const jwtOf = async (t: string) => {
    const o = await settle(a, bearer(t));
    if (o.kind !== 'ok') throw new Error(o.kind);
    return o.jwt;
  };
  const first = await jwtOf(tokens[0]!);
  const second = await jwtOf(tokens[1]!);
  assert.is(await jwtOf(tokens[0]!), first, 'a hit (and now the most recent)');
  for (const t of tokens.slice(2)) await jwtOf(t);
  assert.is(await jwtOf(tokens[0]!), first, 'still kept: it was used recently');
  assert.is.not(await jwtOf(tokens[1]!), second, 'the least recently used left: verified again');
});

test('stats: allowed and denied requests, cache hits and misses, fetches (what /metrics exposes); the first table with rules reports itself once', async () => {
  let used = 0;
  const cache = new JwksCache({ fetch: async (url) => (url === 'http://auth/keys' ? A.jwks : Promise.reject(new Error('HTTP 404'))), onFirstUse: () => used++ });
  const a = new JwtAuthn([{ issuer: 'https://a.example', jwksUri: 'http://auth/keys', source: 'default/ra' }], cache);
  new JwtAuthn([{ issuer: 'https://b.example', jwksUri: 'http://auth/missing', source: 'default/rb' }], cache);
  assert.is(used, 1);
  const token = A.token(claims);
  assert.is((await settle(a, bearer(token))).kind, 'ok');
  assert.is((await settle(a, bearer(token))).kind, 'ok');
  assert.is(a.authenticate({}, '', NOW).kind, 'none');
  assert.is(a.authenticate(bearer(A.token({ ...claims, exp: NOW - 3600 })), '', NOW).kind, 'fail');
  assert.equal(cache.stats, { allowed: 3, denied: 1, cacheHits: 1, cacheMisses: 2, fetchSucceeded: 1, fetchFailed: 0 });
});

test.run();
