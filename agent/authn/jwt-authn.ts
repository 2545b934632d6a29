/**
 * RequestAuthentication on the inbound side (Envoy's jwt_authn filter as Istio configures it),
 * compiled once per snapshot. Each rule reads its token locations (default: `Authorization: Bearer`,
 * then the `access_token` query parameter); a token is verified against the rules that found it,
 * the one whose issuer it names. No token passes (no identity) unless a rule is STRICT; an invalid
 * token is refused with 401 unless every rule that found it is IGNORE. A verified token gives the
 * request its `request.auth.*` attributes, is removed from the forwarded request (its header) unless
 * `forwardOriginalToken`, and writes `outputPayloadToHeader` and `outputClaimToHeaders`.
 */
import type { JwtRuleSnapshot } from '../../wire/types.ts';
import type { RequestAuth } from '../authz/compile-authz.ts';
import type { JwksCache } from './jwks-cache.ts';
import { extractJwt } from './jwt-token-location.ts';
import { parseJwks, verifyJwt, type JwtKeySet, type JwtRuleKeys, type VerifiedJwt } from './jwt-verify.ts';

/** What authentication made of a request. */
export type JwtOutcome =
  | { kind: 'none' }
  | { kind: 'ok'; auth: RequestAuth; jwt: VerifiedJwt; rule: JwtRuleSnapshot; header: string | undefined }
  | { kind: 'fail'; message: string; missing: boolean }
  /** A JWKS fetch the verification needs is running: authenticate again when it settles. */
  | { kind: 'wait'; ready: Promise<void> };

const NONE: JwtOutcome = { kind: 'none' };

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

  constructor(rules: readonly JwtRuleSnapshot[], cache: JwksCache) {
    this.#cache = cache;
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
      const r = verifyJwt(token, keys, nowSeconds);
      if (r.ok) {
        const rule = rules[r.rule]!.rule;
        const { jwt } = r;
        return { kind: 'ok', jwt, rule, header, auth: { principal: jwt.principal, audiences: jwt.audiences, presenter: jwt.presenter, claims: jwt.claims } };
      }
      failure ??= r.error;
      if (rules.some((c) => c.rule.failureMode !== 'IGNORE')) ignored = false;
    }
    return ignored ? NONE : { kind: 'fail', message: failure ?? 'Jwt verification fails', missing: false };
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
  if (v === undefined && path.includes('.')) {
    v = claims;
    for (const n of path.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[n] : undefined;
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
