/**
 * RequestAuthentication on the inbound side (Envoy's jwt_authn filter as Istio configures it),
 * compiled once per snapshot. Each rule reads its token locations (default: `Authorization: Bearer`,
 * then the `access_token` query parameter); a token is verified against the rules that found it,
 * the one whose issuer it names. No token passes (no identity) unless a rule is STRICT; an invalid
 * token is refused with 401 unless every rule that found it is IGNORE. A verified token gives the
 * request its `request.auth.*` attributes, is removed from the forwarded request (its header) unless
 * `forwardOriginalToken`, and writes `outputPayloadToHeader` and `outputClaimToHeaders`. Verified
 * tokens are kept (as Envoy's `jwt_cache_config` does, 100 of them): a token seen again is checked
 * only against the clock and its key set until it expires.
 */
import type { JwtRuleSnapshot } from '../../wire/types.ts';
import type { RequestAuth } from '../authz/compile-authz.ts';
import type { JwksCache } from './jwks-cache.ts';
import { extractJwt } from './jwt-token-location.ts';
import { claimAt, parseJwks, timeProblem, verifyJwt, type JwtKeySet, type JwtRuleKeys, type VerifiedJwt } from './jwt-verify.ts';

/** What authentication made of a request. */
export type JwtOutcome =
  | { kind: 'none' }
  | { kind: 'ok'; auth: RequestAuth; jwt: VerifiedJwt; rule: JwtRuleSnapshot; header: string | undefined }
  | { kind: 'fail'; message: string; missing: boolean }
  /** A JWKS fetch the verification needs is running: authenticate again when it settles. */
  | { kind: 'wait'; ready: Promise<void> };

const NONE: JwtOutcome = { kind: 'none' };

/** Verified tokens kept per table: Envoy's default `jwt_cache_size`. */
export const JWT_CACHE_SIZE = 100;
/** A token verified before, with what its verification depended on. */
interface Verified {
  jwt: VerifiedJwt;
  rule: number;
  /** The key set of each rule it was verified against: a refetched set makes the entry stale. */
  keys: (JwtKeySet | undefined)[];
}

interface CompiledRule {
  rule: JwtRuleSnapshot;
  /** Inline keys; undefined for a fetched set (or inline JWKS that failed to parse). */
  inline: JwtKeySet | undefined;
}

export class JwtAuthn {
  readonly problems: string[] = [];
  readonly #rules: CompiledRule[];
  readonly #cache: JwksCache;
  readonly #strict: boolean;
  /** Verified tokens, oldest first (a hit moves to the end): a token seen again is not verified again while it is still valid. */
  readonly #verified = new Map<string, Verified>();

  constructor(rules: readonly JwtRuleSnapshot[], cache: JwksCache) {
    this.#cache = cache;
    cache.use();
    this.#rules = rules.map((rule) => {
      if (rule.jwks === undefined) return { rule, inline: undefined };
      const keys = parseJwks(rule.jwks);
      if (typeof keys === 'string') {
        this.problems.push(`RequestAuthentication ${rule.source} issuer ${rule.issuer}: jwks: ${keys}`);
        return { rule, inline: undefined };
      }
      return { rule, inline: keys };
    });
    this.#strict = rules.some((r) => r.failureMode === 'STRICT');
  }

  /** `query`: the raw query string (no `?`); `nowSeconds`: the clock JWT times are checked against. */
  authenticate(headers: Readonly<Record<string, string | readonly string[] | undefined>>, query: string, nowSeconds: number): JwtOutcome {
    const o = this.#decide(headers, query, nowSeconds);
    if (o.kind === 'fail') this.#cache.stats.denied++;
    else if (o.kind !== 'wait') this.#cache.stats.allowed++;
    return o;
  }

  #decide(headers: Readonly<Record<string, string | readonly string[] | undefined>>, query: string, nowSeconds: number): JwtOutcome {
    // Tokens found, each with the rules whose locations found it.
    let found: Map<string, { rules: CompiledRule[]; header: string | undefined }> | undefined;
    for (const c of this.#rules) {
      const t = extractJwt(headers, query, c.rule);
      if (!t) continue;
      found ??= new Map();
      const at = found.get(t.token);
      if (at) at.rules.push(c);
      else found.set(t.token, { rules: [c], header: 'header' in t.from ? t.from.header : undefined });
    }
    if (!found) return this.#strict ? { kind: 'fail', message: 'Jwt is missing', missing: true } : NONE;
    let failure: string | undefined;
    let ignored = true;
    for (const [token, { rules, header }] of found) {
      const keys: JwtRuleKeys[] = [];
      for (const c of rules) {
        let set: JwtKeySet | undefined = c.inline;
        if (!set && c.rule.jwks === undefined) {
          const k = this.#cache.keys(c.rule);
          if (k instanceof Promise) return { kind: 'wait', ready: k };
          set = k;
        }
        keys.push({ issuer: c.rule.issuer, audiences: c.rule.audiences, keys: set });
      }
      const hit = this.#cached(token, keys, nowSeconds);
      const r = hit ? { ok: true as const, jwt: hit.jwt, rule: hit.rule } : verifyJwt(token, keys, nowSeconds);
      if (r.ok) {
        if (!hit) this.#remember(token, r.jwt, r.rule, keys);
        const rule = rules[r.rule]!.rule;
        const { jwt } = r;
        return { kind: 'ok', jwt, rule, header, auth: { principal: jwt.principal, audiences: jwt.audiences, presenter: jwt.presenter, claims: jwt.claims } };
      }
      failure ??= r.error;
      if (rules.some((c) => c.rule.failureMode !== 'IGNORE')) ignored = false;
    }
    return ignored ? NONE : { kind: 'fail', message: failure ?? 'Jwt verification fails', missing: false };
  }

  /**
   * A verification of `token` that still holds: same key sets, and still within `exp` and `nbf`
   * (with the skew). Issuer, audiences and signature do not change for a given token and key set,
   * so the result is the one verifyJwt would give.
   */
  #cached(token: string, keys: readonly JwtRuleKeys[], now: number): Verified | undefined {
    const v = this.#verified.get(token);
    if (!v) {
      this.#cache.stats.cacheMisses++;
      return undefined;
    }
    const same = v.keys.length === keys.length && v.keys.every((k, i) => k === keys[i]!.keys);
    this.#verified.delete(token);
    if (!same || timeProblem(v.jwt.claims, now) !== undefined) {
      this.#cache.stats.cacheMisses++;
      return undefined;
    }
    this.#verified.set(token, v);
    this.#cache.stats.cacheHits++;
    return v;
  }

  #remember(token: string, jwt: VerifiedJwt, rule: number, keys: readonly JwtRuleKeys[]): void {
    if (this.#verified.size >= JWT_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, { jwt, rule, keys: keys.map((k) => k.keys) });
  }

  /** The forwarded request's headers (flat `[name, value, ...]`) after a verified token: token header removed unless forwarded, outputs added. */
  forwardHeaders(headers: string[], o: Extract<JwtOutcome, { kind: 'ok' }>): string[] {
    const { rule, jwt } = o;
    const drop = new Set<string>();
    if (!rule.forwardOriginalToken && o.header) drop.add(o.header);
    const add: string[] = [];
    if (rule.outputPayloadToHeader) {
      drop.add(rule.outputPayloadToHeader);
      add.push(rule.outputPayloadToHeader, jwt.payload);
    }
    for (const { header, claim } of rule.outputClaimToHeaders ?? []) {
      drop.add(header);
      const v = claimValue(jwt.claims, claim);
      if (v !== undefined) add.push(header, v);
    }
    if (drop.size === 0) return headers;
    const out: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (!drop.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
    out.push(...add);
    return out;
  }
}

/** A claim (nested with ".") as a header value: strings, numbers and booleans only (Istio). */
function claimValue(claims: Readonly<Record<string, unknown>>, path: string): string | undefined {
  let v: unknown = claims[path];
  if (v === undefined && path.includes('.')) v = claimAt(claims, path.split('.'));
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
