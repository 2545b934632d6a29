/**
 * JWT verification as Envoy's jwt_authn filter does it for Istio's RequestAuthentication (pure):
 * the same checks in the same order (parse, issuer, time with 60 s of skew, audiences, JWKS,
 * signature) and google/jwt_verify_lib's status strings, so a 401 body reads as Envoy's would.
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { nodeCrypto } from '../lazy-builtins.ts';

/** One usable public key of a JWKS. */
export interface JwtKey {
  kid: string | undefined;
  alg: string | undefined;
  kty: 'RSA' | 'EC' | 'OKP';
  key: KeyObject;
}

/** The usable keys of one JWKS, in document order (build it with `parseJwks`). */
export interface JwtKeySet {
  readonly keys: readonly JwtKey[];
}

/** The issuer-specific half of one JWTRule: what the token is checked against. */
export interface JwtRuleKeys {
  issuer: string;
  audiences?: readonly string[];
  /** Undefined: the JWKS is not available (yet), e.g. its remote fetch is pending or failed. */
  keys: JwtKeySet | undefined;
}

/** A token that passed every check. */
export interface VerifiedJwt {
  issuer: string;
  subject: string | undefined;
  /** `${iss}/${sub}`: Istio's request principal. */
  principal: string;
  audiences: string[];
  /** The `azp` claim. */
  presenter: string | undefined;
  claims: Readonly<Record<string, unknown>>;
  /** The payload segment as received (base64url), for `outputPayloadToHeader`. */
  payload: string;
}

/** Outcome of `verifyJwt`; `rule` is the index of the rule whose issuer matched. */
export type JwtResult = { ok: true; jwt: VerifiedJwt; rule: number } | { ok: false; error: string };

type Json = Record<string, unknown>;

// jwt_verify_lib accepts HS* in the header; with no `oct` keys parsed here they fail at the signature.
const IMPLEMENTED_ALGS = new Set(['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384',
  'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);
const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const CLOCK_SKEW_SECONDS = 60;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const PADDING = /=+$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// jwt_verify_lib leaves BoringSSL's PSS default for verifying: the salt length is read from the signature.
// node:crypto's RSA_PKCS1_PSS_PADDING and RSA_PSS_SALTLEN_AUTO, as numbers: the module loads only with a first key.
const PSS = { padding: 6, saltLength: -2 };

/** Strict base64url (absl::WebSafeBase64Unescape accepts optional padding, nothing else). */
function fromB64url(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined;
  const body = text.replace(PADDING, '');
  if (body.length % 4 === 1 || (body.length !== text.length && text.length % 4 !== 0)) return undefined;
  return Buffer.from(body, 'base64url');
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text or UTF-8 bytes of it; undefined when not JSON. */
function parseJson(input: string | Buffer): unknown {
  try {
    return JSON.parse(typeof input === 'string' ? input : UTF8.decode(input));
  } catch {
    return undefined;
  }
}

function parseObject(segment: string): Json | 'base64' | 'json' {
  const bytes = fromB64url(segment);
  const v = bytes && parseJson(bytes);
  return !bytes ? 'base64' : isObject(v) ? v : 'json';
}

class JwkError extends Error {}
function fail(message: string): never {
  throw new JwkError(message);
}

/** A required string member of a JWK; `noun` completes jwt_verify_lib's message ("a RSA key"). */
function member(jwk: Json, name: string, noun: string): string {
  const v = jwk[name];
  if (!Object.hasOwn(jwk, name)) fail(`[${name}] field is missing for ${noun}`);
  if (typeof v !== 'string') fail(`[${name}] field is not string for ${noun}`);
  return v;
}

function importKey(jwk: JsonWebKey, message: string): KeyObject {
  try {
    return nodeCrypto().createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return fail(message);
  }
}

function rsaKey(jwk: Json, alg: string): KeyObject {
  if (alg && !alg.startsWith('RS') && !alg.startsWith('PS')) fail('[alg] is not started with [RS] or [PS] for an RSA key');
  const n = fromB64url(member(jwk, 'n', 'a RSA key'));
  const e = fromB64url(member(jwk, 'e', 'a RSA key'));
  const bad = 'Jwks RSA [n] or [e] field is missing or has a parse error';
  // jwt_verify_lib rejects non-standard exponents early; only 3 and 65537 pass.
  const exponent = e ? e.reduce((acc, b) => acc * 256 + b, 0) : 0;
  if (!n || (exponent !== 3 && exponent !== 65537)) fail(bad);
  return importKey({ kty: 'RSA', n: n.toString('base64url'), e: e!.toString('base64url') }, bad);
}

function ecKey(jwk: Json, alg: string): KeyObject {
  if (alg && !alg.startsWith('ES')) fail('[alg] is not started with [ES] for an EC key');
  const crv = Object.hasOwn(jwk, 'crv') ? jwk.crv : '';
  if (typeof crv !== 'string') fail('[crv] field is not string for an EC key');
  if (alg && crv && EC_CURVES[alg] !== crv) fail('[crv] field specified is not compatible with [alg] for an EC key');
  const curve = !alg && !crv ? 'P-256' : (EC_CURVES[alg] ?? (Object.values(EC_CURVES).includes(crv) ? crv : undefined));
  if (!curve) fail('[crv] or [alg] field is not supported for an EC key');
  const x = fromB64url(member(jwk, 'x', 'an EC key'));
  const y = fromB64url(member(jwk, 'y', 'an EC key'));
  if (!x || !y) fail('Jwks EC [x] or [y] field is an invalid Base64.');
  const coords = { x: x.toString('base64url'), y: y.toString('base64url') };
  return importKey({ kty: 'EC', crv: curve, ...coords }, 'Jwks EC [x] and [y] fields have a parse error.');
}

function okpKey(jwk: Json, alg: string): KeyObject {
  if (alg && alg !== 'EdDSA') fail('[alg] is not [EdDSA] for an OKP key');
  if (member(jwk, 'crv', 'an OKP key') !== 'Ed25519') fail('[crv] field is not supported for an OKP key');
  const x = fromB64url(member(jwk, 'x', 'an OKP key'));
  if (!x) fail('Jwks OKP [x] field is an invalid Base64.');
  if (x.length !== 32) fail('Jwks OKP [x] field is wrong length.');
  return importKey({ kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }, 'Jwks OKP [x] field is wrong length.');
}

function importJwk(jwk: Json): JwtKey {
  if (!Object.hasOwn(jwk, 'kty')) fail('[kty] is missing in [keys]');
  const kty = jwk.kty;
  if (typeof kty !== 'string') fail('[kty] is bad in [keys]');
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : undefined;
  const alg = typeof jwk.alg === 'string' ? jwk.alg : '';
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') fail('[kty] is not supported in [keys]');
  const key = kty === 'RSA' ? rsaKey(jwk, alg) : kty === 'EC' ? ecKey(jwk, alg) : okpKey(jwk, alg);
  return { kid, alg: alg || undefined, kty, key };
}

/**
 * Parses JWKS JSON text (`{"keys":[...]}`; like jwt_verify_lib, a bare JWK is not a JWKS). Keys that
 * cannot be used are skipped; with none left, the first key's error (or "no valid key") is returned.
 */
export function parseJwks(text: string): JwtKeySet | string {
  const doc = parseJson(text);
  if (!isObject(doc)) return 'Jwks is an invalid JSON';
  if (!Object.hasOwn(doc, 'keys')) return 'Jwks does not have [keys] field';
  if (!Array.isArray(doc.keys)) return '[keys] in Jwks is not an array';
  const keys: JwtKey[] = [];
  let firstError: string | undefined;
  for (const jwk of doc.keys) {
    if (!isObject(jwk)) continue;
    try {
      keys.push(importJwk(jwk));
    } catch (err) {
      firstError ??= err instanceof JwkError ? err.message : "Jwks doesn't have any valid public key";
    }
  }
  return keys.length > 0 ? { keys } : (firstError ?? "Jwks doesn't have any valid public key");
}

/** jwt_verify_lib's CheckAudience: the scheme (http/https) and one trailing slash do not count. */
function sanitizeAudience(aud: string): string {
  const start = aud.startsWith('http://') ? 7 : aud.startsWith('https://') ? 8 : 0;
  return aud.slice(start, aud.endsWith('/') ? -1 : undefined);
}

/** Claim type checks of jwt_verify_lib's Jwt::parseFromString, in its order. */
function claimError(p: Json): string | undefined {
  for (const name of ['iss', 'sub']) {
    if (Object.hasOwn(p, name) && typeof p[name] !== 'string') return `Jwt payload [${name}] field is not a string`;
  }
  for (const name of ['iat', 'nbf', 'exp']) {
    if (!Object.hasOwn(p, name)) continue;
    const v = p[name];
    if (typeof v !== 'number') return `Jwt payload [${name}] field is not an integer`;
    if (!(v >= 0 && v < 2 ** 64)) return `Jwt payload [${name}] field is not a positive 64 bit integer`;
  }
  if (Object.hasOwn(p, 'jti') && typeof p.jti !== 'string') return 'Jwt payload [jti] field is not a string';
  const aud = p.aud;
  if (Object.hasOwn(p, 'aud') && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    return 'Jwt payload [aud] field is not a string or string list';
  }
  return undefined;
}

/** One key against one signature; a key of another type than `alg` needs never verifies. */
function verifyWith(alg: string, key: JwtKey, data: Buffer, sig: Buffer): boolean {
  const hash = `sha${alg.slice(2)}`;
  try {
    if (key.kty === 'RSA' && alg.startsWith('RS')) return nodeCrypto().verify(hash, data, key.key, sig);
    if (key.kty === 'RSA' && alg.startsWith('PS')) return nodeCrypto().verify(hash, data, { key: key.key, ...PSS }, sig);
    if (key.kty === 'EC' && alg.startsWith('ES')) return nodeCrypto().verify(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig);
    if (key.kty === 'OKP' && alg === 'EdDSA') return nodeCrypto().verify(null, data, key.key, sig);
  } catch {
    // A malformed signature for this key type is a failed verification, not an error.
  }
  return false;
}

const no = (error: string): JwtResult => ({ ok: false, error });

/** Verifies a token against the rules (Envoy's order of checks and messages). Never throws. */
/** jwt_verify_lib's time check of a payload (`nbf`, `exp`, with the 60 s of skew): its status, or undefined when valid now. */
export function timeProblem(payload: Readonly<Record<string, unknown>>, nowSeconds: number): string | undefined {
  const now = Math.floor(nowSeconds);
  const nbf = Math.floor((payload.nbf as number | undefined) ?? 0);
  const exp = Math.floor((payload.exp as number | undefined) ?? 0);
  if (now + CLOCK_SKEW_SECONDS < nbf) return 'Jwt not yet valid';
  if (exp && now > exp + CLOCK_SKEW_SECONDS) return 'Jwt is expired';
  return undefined;
}

/** A claim at `path` (nested objects, one name per step); undefined when a step is missing or not an object. */
export function claimAt(claims: Readonly<Record<string, unknown>> | undefined, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const n of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[n];
  }
  return v;
}

export function verifyJwt(token: string, rules: readonly JwtRuleKeys[], nowSeconds: number): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return no('Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  }
  const [h, p, s] = parts as [string, string, string];
  const header = parseObject(h);
  if (header === 'base64') return no('Jwt header is an invalid Base64url encoded');
  if (header === 'json') return no('Jwt header is an invalid JSON');
  const alg = header.alg;
  if (typeof alg !== 'string') return no('Jwt header [alg] field is required and must be a string');
  if (!IMPLEMENTED_ALGS.has(alg)) return no('Jwt header [alg] is not supported');
  if (Object.hasOwn(header, 'kid') && typeof header.kid !== 'string') return no('Jwt header [kid] field is not a string');
  const kid = (header.kid as string | undefined) ?? '';
  const payload = parseObject(p);
  if (payload === 'base64') return no('Jwt payload is an invalid Base64url encoded');
  if (payload === 'json') return no('Jwt payload is an invalid JSON');
  const claimProblem = claimError(payload);
  if (claimProblem) return no(claimProblem);
  const sig = fromB64url(s);
  if (!sig) return no('Jwt signature is an invalid Base64url encoded');

  const iss = (payload.iss as string | undefined) ?? '';
  const ruleIndex = rules.findIndex((r) => r.issuer === iss);
  const rule = rules[ruleIndex];
  if (!rule) return no('Jwt issuer is not configured');

  const late = timeProblem(payload, nowSeconds);
  if (late) return no(late);

  const aud = payload.aud;
  const audiences: string[] = typeof aud === 'string' ? [aud] : [...((aud as string[] | undefined) ?? [])];
  const allowed = rule.audiences ?? [];
  if (allowed.length > 0 && !audiences.some((a) => allowed.some((c) => sanitizeAudience(c) === sanitizeAudience(a)))) {
    return no('Audiences in Jwt are not allowed');
  }

  if (!rule.keys) return no('Jwks remote fetch is failed');
  const data = Buffer.from(`${h}.${p}`);
  let matched = false;
  for (const key of rule.keys.keys) {
    if (kid && key.kid && key.kid !== kid) continue;
    if (key.alg && key.alg !== alg) continue;
    matched = true;
    if (key.kty === 'OKP' && alg === 'EdDSA' && sig.length !== 64) return no('Jwt ED25519 signature is wrong length');
    if (verifyWith(alg, key, data, sig)) {
      const sub = payload.sub as string | undefined;
      const azp = payload.azp;
      const jwt: VerifiedJwt = {
        issuer: iss, subject: sub, principal: `${iss}/${sub ?? ''}`, audiences,
        presenter: typeof azp === 'string' ? azp : undefined, claims: Object.freeze(payload), payload: p,
      };
      return { ok: true, jwt, rule: ruleIndex };
    }
  }
  return no(matched ? 'Jwt verification fails' : "Jwks doesn't have key to match kid or alg from Jwt");
}
