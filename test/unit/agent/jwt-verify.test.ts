import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { parseJwks, verifyJwt, type JwtKeySet, type JwtRuleKeys } from '../../../agent/authn/jwt-verify.ts';
import { signJwt as sign } from '../../support/jwt-signer.ts';

const NOW = 1_700_000_000;
const ISS = 'https://issuer.example';
const CLAIMS = { iss: ISS, sub: 'alice', iat: NOW, exp: NOW + 3600 };

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const signJwt = (alg: string, key: KeyObject, payload: object = CLAIMS, header: object = {}): string => sign(alg, key, payload, header);

const rsaA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaB = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec256Other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');

const jwk = (pub: KeyObject, extra: Record<string, string> = {}): Record<string, unknown> => ({ ...pub.export({ format: 'jwk' }), ...extra });

function keySet(...keys: object[]): JwtKeySet {
  const parsed = parseJwks(JSON.stringify({ keys }));
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

const ALL = keySet(
  jwk(rsaA.publicKey, { kid: 'rsa-a', alg: 'RS256' }),
  jwk(rsaB.publicKey, { kid: 'rsa-b' }),
  jwk(ec256.publicKey, { kid: 'ec-256', alg: 'ES256' }),
  jwk(ec384.publicKey, { kid: 'ec-384' }),
  jwk(ed.publicKey, { kid: 'ed' }),
);
const rules = (keys: JwtKeySet | undefined, audiences?: string[]): JwtRuleKeys[] => [{ issuer: ISS, audiences, keys }];

function expectOk(token: string, r: JwtRuleKeys[] = rules(ALL), now = NOW): void {
  const result = verifyJwt(token, r, now);
  assert.ok(result.ok, result.ok ? '' : result.error);
}
function expectError(token: string, error: string, r: JwtRuleKeys[] = rules(ALL), now = NOW): void {
  assert.equal(verifyJwt(token, r, now), { ok: false, error });
}

const valid: Array<[string, KeyObject, string | undefined]> = [
  ['RS256', rsaA.privateKey, 'rsa-a'],
  ['RS384', rsaB.privateKey, 'rsa-b'],
  ['PS256', rsaB.privateKey, 'rsa-b'],
  ['PS512', rsaB.privateKey, undefined],
  ['ES256', ec256.privateKey, 'ec-256'],
  ['ES384', ec384.privateKey, 'ec-384'],
  ['EdDSA', ed.privateKey, 'ed'],
  ['EdDSA', ed.privateKey, undefined],
];
for (const [alg, key, kid] of valid) {
  test(`valid ${alg} token (kid ${kid ?? 'absent'})`, () => expectOk(signJwt(alg, key, CLAIMS, kid ? { kid } : {})));
}

test('the verified JWT carries principal, audiences, presenter, claims, payload and rule index', () => {
  const claims = { ...CLAIMS, aud: ['web', 'api'], azp: 'web-client', groups: ['dev'] };
  const token = signJwt('ES256', ec256.privateKey, claims, { kid: 'ec-256' });
  const result = verifyJwt(token, [{ issuer: 'other', keys: undefined }, ...rules(ALL)], NOW);
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.is(result.rule, 1);
  assert.equal(result.jwt, {
    issuer: ISS, subject: 'alice', principal: `${ISS}/alice`, audiences: ['web', 'api'], presenter: 'web-client',
    claims, payload: token.split('.')[1]!,
  });
});

test('a token without sub has principal `iss/`', () => {
  const result = verifyJwt(signJwt('EdDSA', ed.privateKey, { iss: ISS }), rules(ALL), NOW);
  assert.ok(result.ok && result.jwt.principal === `${ISS}/` && result.jwt.subject === undefined);
});

test('kid selects the key among two of the same type', () => {
  const twoRsa = keySet(jwk(rsaA.publicKey, { kid: 'a' }), jwk(rsaB.publicKey, { kid: 'b' }));
  expectOk(signJwt('RS256', rsaB.privateKey, CLAIMS, { kid: 'b' }), rules(twoRsa));
  expectOk(signJwt('RS256', rsaB.privateKey), rules(twoRsa));
  expectError(signJwt('RS256', rsaB.privateKey, CLAIMS, { kid: 'a' }), 'Jwt verification fails', rules(twoRsa));
  expectError(signJwt('RS256', rsaB.privateKey, CLAIMS, { kid: 'c' }), "Jwks doesn't have key to match kid or alg from Jwt", rules(twoRsa));
});

test('a key whose alg differs from the token is not used', () => {
  const rs256Only = keySet(jwk(rsaA.publicKey, { alg: 'RS256' }));
  expectError(signJwt('PS256', rsaA.privateKey), "Jwks doesn't have key to match kid or alg from Jwt", rules(rs256Only));
});

test('wrong key: Jwt verification fails', () => {
  expectError(signJwt('ES256', ec256Other.privateKey, CLAIMS, { kid: 'ec-256' }), 'Jwt verification fails');
  expectError(signJwt('ES256', ec256Other.privateKey), 'Jwt verification fails');
  expectError(signJwt('EdDSA', generateKeyPairSync('ed25519').privateKey), 'Jwt verification fails');
});

test('tampered payload: Jwt verification fails', () => {
  const [h, , s] = signJwt('RS256', rsaA.privateKey).split('.');
  expectError(`${h}.${b64({ ...CLAIMS, sub: 'mallory' })}.${s}`, 'Jwt verification fails');
});

test('an Ed25519 signature of the wrong length', () => {
  const [h, p] = signJwt('EdDSA', ed.privateKey).split('.');
  expectError(`${h}.${p}.${b64('short')}`, 'Jwt ED25519 signature is wrong length');
});

const times: Array<[string, object, string | undefined]> = [
  ['expired beyond the skew', { exp: NOW - 61 }, 'Jwt is expired'],
  ['expired within the 60 s skew', { exp: NOW - 60 }, undefined],
  ['not yet valid beyond the skew', { nbf: NOW + 61 }, 'Jwt not yet valid'],
  ['not yet valid within the 60 s skew', { nbf: NOW + 60 }, undefined],
  ['no exp at all', { exp: undefined }, undefined],
];
for (const [name, change, error] of times) {
  test(`time: ${name}`, () => {
    const token = signJwt('ES256', ec256.privateKey, { ...CLAIMS, ...change });
    if (error) expectError(token, error);
    else expectOk(token);
  });
}

const audiences: Array<[unknown, boolean]> = [
  ['api', true],
  [['web', 'api'], true],
  ['https://api/', true],
  ['other', false],
  [undefined, false],
];
for (const [aud, allowed] of audiences) {
  test(`audience ${JSON.stringify(aud)} against [api]: ${allowed ? 'allowed' : 'refused'}`, () => {
    const token = signJwt('EdDSA', ed.privateKey, { ...CLAIMS, aud });
    if (allowed) expectOk(token, rules(ALL, ['http://api']));
    else expectError(token, 'Audiences in Jwt are not allowed', rules(ALL, ['http://api']));
  });
}

test('no audiences configured: any aud passes', () => expectOk(signJwt('EdDSA', ed.privateKey, { ...CLAIMS, aud: 'x' })));

test('issuer not configured', () => {
  expectError(signJwt('EdDSA', ed.privateKey, { ...CLAIMS, iss: 'https://elsewhere' }), 'Jwt issuer is not configured');
  expectError(signJwt('EdDSA', ed.privateKey, { sub: 'x' }), 'Jwt issuer is not configured');
});

test('keys undefined: the JWKS fetch failed (checked after issuer, time and audience)', () => {
  expectError(signJwt('EdDSA', ed.privateKey), 'Jwks remote fetch is failed', rules(undefined));
  expectError(signJwt('EdDSA', ed.privateKey, { ...CLAIMS, exp: NOW - 100 }), 'Jwt is expired', rules(undefined));
});

const good = signJwt('EdDSA', ed.privateKey).split('.');
const withHeader = (header: object): string => `${b64(header)}.${good[1]}.${good[2]}`;
const withPayload = (payload: unknown): string => `${good[0]}.${b64(payload)}.${good[2]}`;
const malformed: Array<[string, string, string]> = [
  ['two segments', `${good[0]}.${good[1]}`, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ['four segments', `${good.join('.')}.x`, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ['empty signature', `${good[0]}.${good[1]}.`, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ['not a JWT at all', 'Bearer', 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ['bad base64 header', `a*b.${good[1]}.${good[2]}`, 'Jwt header is an invalid Base64url encoded'],
  ['bad JSON header', `${b64('{"alg":')}.${good[1]}.${good[2]}`, 'Jwt header is an invalid JSON'],
  ['header not an object', withHeader(['EdDSA']), 'Jwt header is an invalid JSON'],
  ['alg missing', withHeader({ typ: 'JWT' }), 'Jwt header [alg] field is required and must be a string'],
  ['alg none', withHeader({ alg: 'none' }), 'Jwt header [alg] is not supported'],
  ['alg unknown', withHeader({ alg: 'ES256K' }), 'Jwt header [alg] is not supported'],
  ['kid not a string', withHeader({ alg: 'EdDSA', kid: 7 }), 'Jwt header [kid] field is not a string'],
  ['bad base64 payload', `${good[0]}.%%%.${good[2]}`, 'Jwt payload is an invalid Base64url encoded'],
  ['bad JSON payload', withPayload('not json'), 'Jwt payload is an invalid JSON'],
  ['iss not a string', withPayload({ iss: 1 }), 'Jwt payload [iss] field is not a string'],
  ['exp not a number', withPayload({ ...CLAIMS, exp: '1700000000' }), 'Jwt payload [exp] field is not an integer'],
  ['nbf negative', withPayload({ ...CLAIMS, nbf: -1 }), 'Jwt payload [nbf] field is not a positive 64 bit integer'],
  ['aud a number', withPayload({ ...CLAIMS, aud: 5 }), 'Jwt payload [aud] field is not a string or string list'],
  ['bad base64 signature', `${good[0]}.${good[1]}.a+b/`, 'Jwt signature is an invalid Base64url encoded'],
];
for (const [name, token, error] of malformed) {
  test(`malformed: ${name}`, () => expectError(token, error));
}

test('alg none with an empty signature is still refused', () => {
  expectError(`${b64({ alg: 'none' })}.${good[1]}.`, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
});

test('never throws on junk', () => {
  const junk = ['', '.', '..', '...', 'a.b.c', '\u0000.\uffff.\ud800', `${b64('null')}.${b64('null')}.AA`,
    `${b64({ alg: 'ES256' })}.${good[1]}.AA`, `${b64({ alg: 'PS256' })}.${good[1]}.${good[2]}`,
    `${b64({ alg: 'HS256' })}.${good[1]}.${good[2]}`, `${b64({ alg: 'EdDSA', kid: 'ed' })}.${b64({ ...CLAIMS, exp: 1e400 })}.AA`];
  for (const token of junk) {
    const result = verifyJwt(token, rules(ALL), NOW);
    assert.is(result.ok, false, token);
  }
});

const jwksErrors: Array<[string, string]> = [
  ['not json', 'Jwks is an invalid JSON'],
  ['[]', 'Jwks is an invalid JSON'],
  ['{}', 'Jwks does not have [keys] field'],
  [JSON.stringify(jwk(ed.publicKey)), 'Jwks does not have [keys] field'],
  ['{"keys":{}}', '[keys] in Jwks is not an array'],
  ['{"keys":[]}', "Jwks doesn't have any valid public key"],
  ['{"keys":[1,"x"]}', "Jwks doesn't have any valid public key"],
  ['{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}', '[kty] is not supported in [keys]'],
  ['{"keys":[{"n":"AQAB"}]}', '[kty] is missing in [keys]'],
  ['{"keys":[{"kty":3}]}', '[kty] is bad in [keys]'],
  ['{"keys":[{"kty":"RSA","e":"AQAB"}]}', '[n] field is missing for a RSA key'],
  ['{"keys":[{"kty":"RSA","n":"AQAB","e":1}]}', '[e] field is not string for a RSA key'],
  ['{"keys":[{"kty":"RSA","alg":"ES256","n":"AQAB","e":"AQAB"}]}', '[alg] is not started with [RS] or [PS] for an RSA key'],
  [JSON.stringify({ keys: [jwk(rsaA.publicKey, { e: 'BQ' })] }), 'Jwks RSA [n] or [e] field is missing or has a parse error'],
  [JSON.stringify({ keys: [jwk(ec256.publicKey, { alg: 'ES384' })] }), '[crv] field specified is not compatible with [alg] for an EC key'],
  [JSON.stringify({ keys: [jwk(ec256.publicKey, { crv: 'P-192' })] }), '[crv] or [alg] field is not supported for an EC key'],
  [JSON.stringify({ keys: [jwk(ec256.publicKey, { alg: 'RS256' })] }), '[alg] is not started with [ES] for an EC key'],
  [JSON.stringify({ keys: [jwk(ec256.publicKey, { y: 'a*' })] }), 'Jwks EC [x] or [y] field is an invalid Base64.'],
  [JSON.stringify({ keys: [jwk(ec256.publicKey, { y: jwk(ec256.publicKey).x as string })] }), 'Jwks EC [x] and [y] fields have a parse error.'],
  ['{"keys":[{"kty":"OKP","crv":"X25519","x":"AA"}]}', '[crv] field is not supported for an OKP key'],
  ['{"keys":[{"kty":"OKP","x":"AA"}]}', '[crv] field is missing for an OKP key'],
  ['{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}', 'Jwks OKP [x] field is wrong length.'],
];
for (const [text, error] of jwksErrors) {
  test(`parseJwks ${text.slice(0, 60)} → ${error}`, () => assert.is(parseJwks(text), error));
}

test('parseJwks skips unusable keys when another is usable', () => {
  const text = JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }, jwk(ed.publicKey, { kid: 'ed' }), { kty: 'EC' }] });
  const parsed = parseJwks(text);
  assert.ok(typeof parsed !== 'string');
  if (typeof parsed === 'string') return;
  assert.equal(parsed.keys.map((k) => [k.kid, k.alg, k.kty]), [['ed', undefined, 'OKP']]);
});

test('an EC key without crv is P-256 by default, or the curve of its alg', () => {
  const { crv: _crv, ...noCrv } = jwk(ec384.publicKey);
  const ks = parseJwks(JSON.stringify({ keys: [{ ...noCrv, alg: 'ES384' }] }));
  assert.ok(typeof ks !== 'string');
  if (typeof ks !== 'string') expectOk(signJwt('ES384', ec384.privateKey), rules(ks));
});

test.run();
