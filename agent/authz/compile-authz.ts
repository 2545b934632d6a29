/**
 * Istio AuthorizationPolicy evaluation (pure), compiled once per snapshot into closures: no parsing,
 * regex building or allocation beyond the decision per request.
 *
 * Order (Istio's authorization-policy reference):
 *   1. CUSTOM: dockmesh has no external authorizer; a CUSTOM policy is reported as unsupported and,
 *      failing closed, a request it matches is denied.
 *   2. a matching DENY policy denies;
 *   3. no ALLOW policy: allow;
 *   4. a matching ALLOW policy allows;
 *   5. deny.
 * AUDIT policies never change the decision; `audit` says whether one matched.
 * A policy matches when one of its rules does (no rules: never). A rule matches when one `from`
 * source, one `to` operation and every `when` condition match (each absent part matches).
 *
 * Fields dockmesh cannot evaluate (unknown condition keys,
 * invalid values) and, on opaque TCP, HTTP-only fields (hosts, methods, paths, request headers) are
 * handled as Istio handles HTTP-only fields on TCP: an ALLOW or AUDIT rule using one never matches;
 * a DENY or CUSTOM rule ignores it (matches on the rest). Every such field is listed in `problems`.
 */
import type {
  AuthzConditionSnapshot,
  AuthzOperationSnapshot,
  AuthzPolicySnapshot,
  AuthzRuleSnapshot,
  AuthzSourceSnapshot,
  InboundAuthzSnapshot,
} from '../../wire/types.ts';
import { claimAt } from '../authn/jwt-verify.ts';
import { compileIpBlocks, parseIp, type IpMatcher, type ParsedIp } from './ip-block.ts';
import { compilePathPattern } from './path-match.ts';
import { anyOf, compileStringMatch, type ValueMatcher } from './string-match.ts';

/** What a policy sees of a request or connection (all canonical already). */
export interface AuthzRequest {
  /** Peer principal from the verified certificate, `cluster.local/ns/<ns>/sa/<sa>`; absent on plaintext. */
  principal?: string;
  /** Peer namespace; default: taken from `principal`. */
  namespace?: string;
  sourceIp: string;
  /** Istio's remote.ip; default `sourceIp` (dockmesh trusts no X-Forwarded-For hop). */
  remoteIp?: string;
  destinationIp?: string;
  /** The app port the connection came in for. */
  port: number;
  /** 'tcp' for opaque TCP connections (no HTTP attributes); default 'http'. */
  protocol?: 'http' | 'tcp';
  method?: string;
  /** Canonical path, without query. */
  path?: string;
  /** Canonical host: lower case, no port, no trailing dot. */
  host?: string;
  /** Lower-case names; repeated headers as arrays (joined with `,` as Istio does). */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The request's verified JWT (RequestAuthentication); absent: none. */
  auth?: RequestAuth;
}

/** What Istio's policies read of a verified JWT (`request.auth.*`). */
export interface RequestAuth {
  /** `<iss>/<sub>`. */
  principal: string;
  audiences: readonly string[];
  /** `azp`. */
  presenter?: string;
  claims: Readonly<Record<string, unknown>>;
}

export interface AuthzDecision {
  allow: boolean;
  /** `namespace/name` of the policy that decided (absent: no policy, or no ALLOW matched). */
  policy?: string;
  /** Index of the matching rule in that policy. */
  rule?: number;
  /** True when an AUDIT policy matched. */
  audit?: boolean;
  /** Why: for logs and the RBAC response flag. */
  reason: 'no-policy' | 'allowed' | 'denied' | 'custom-unsupported' | 'no-allow-match';
}

/** The compiled evaluator, with what could not be compiled faithfully. */
export interface CompiledAuthz {
  (req: AuthzRequest): AuthzDecision;
  /** One line per unsupported or invalid field, `namespace/name rules[i].path: why`. */
  readonly problems: readonly string[];
  /** True when at least one policy selects the workload. */
  readonly enforcing: boolean;
}

/** The request, with what several matchers need computed once. */
interface Ctx {
  req: AuthzRequest;
  http: boolean;
  namespace: string | undefined;
  sourceIp: ParsedIp | undefined;
  remoteIp: ParsedIp | undefined;
  destinationIp: ParsedIp | undefined;
  port: string;
}

type Pred = (c: Ctx) => boolean;
type Action = AuthzPolicySnapshot['action'];

const ALWAYS: Pred = () => true;
const NEVER_P: Pred = () => false;

function and(ps: Pred[]): Pred {
  const list = ps.filter((p) => p !== ALWAYS);
  if (list.some((p) => p === NEVER_P)) return NEVER_P;
  if (list.length === 0) return ALWAYS;
  if (list.length === 1) return list[0]!;
  return (c) => {
    for (const p of list) if (!p(c)) return false;
    return true;
  };
}

function or(ps: Pred[]): Pred {
  const list = ps.filter((p) => p !== NEVER_P);
  if (list.some((p) => p === ALWAYS)) return ALWAYS;
  if (list.length === 0) return NEVER_P;
  if (list.length === 1) return list[0]!;
  return (c) => {
    for (const p of list) if (p(c)) return true;
    return false;
  };
}

function namespaceOf(principal: string | undefined): string | undefined {
  if (!principal) return undefined;
  const m = /\/ns\/([^/]+)\/sa\//.exec(principal);
  return m?.[1];
}

/** The trust domain of a principal (`<trust domain>/ns/<ns>/sa/<sa>`: what comes before `/ns/`). */
function trustDomainOf(principal: string | undefined): string | undefined {
  if (!principal) return undefined;
  const at = principal.indexOf('/ns/');
  return at > 0 ? principal.slice(0, at) : undefined;
}

/** `<namespace>/<service account>` of a principal (`<trust domain>/ns/<ns>/sa/<sa>`), any trust domain. */
function serviceAccountOf(principal: string | undefined): string | undefined {
  if (!principal) return undefined;
  const m = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** `request.auth.claims[a][b]...` (Istio's conditions: nested claims, one name per bracket). */
const CLAIM_KEY = /^request\.auth\.claims((?:\[[^\]]+\])+)$/;

/** The string values of a (nested) claim: a string, or the strings of a list; others match nothing. */
function claimStrings(claims: Readonly<Record<string, unknown>> | undefined, names: readonly string[]): readonly string[] | undefined {
  const v = claimAt(claims, names);
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function header(c: Ctx, name: string): string | undefined {
  const v = c.req.headers?.[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

/** Compiles one rule's parts, recording fields it cannot honour. */
class RuleCompiler {
  readonly unsupported: string[] = [];

  constructor(
    readonly where: string,
    readonly action: Action,
  ) {}

  /** An unsupported/invalid field: never for ALLOW/AUDIT, ignored (true) for DENY/CUSTOM. */
  #bad(path: string, why: string): Pred {
    this.unsupported.push(`${this.where}.${path}: ${why}`);
    return this.action === 'DENY' || this.action === 'CUSTOM' ? ALWAYS : NEVER_P;
  }

  /** HTTP-only predicates: on TCP, the same treatment as unsupported fields (without a report). */
  #httpOnly(p: Pred): Pred {
    const onTcp = this.action === 'DENY' || this.action === 'CUSTOM';
    return (c) => (c.http ? p(c) : onTcp);
  }

  #values<T>(path: string, values: readonly string[] | undefined, build: (v: readonly string[]) => T): T | Pred | undefined {
    if (!values || values.length === 0) return undefined;
    try {
      return build(values);
    } catch (err) {
      return this.#bad(path, (err as Error).message);
    }
  }

  #strField(path: string, pos: readonly string[] | undefined, neg: readonly string[] | undefined, get: (c: Ctx) => string | undefined, lower = false): Pred[] {
    const out: Pred[] = [];
    if (pos?.length) {
      const m = compileStringMatch(pos, lower);
      out.push((c) => m(get(c)));
    }
    if (neg?.length) {
      const m = compileStringMatch(neg, lower);
      out.push((c) => !m(get(c)));
    }
    void path;
    return out;
  }

  /** A field with several values (a list claim, the audiences): `values` match when one value does, `notValues` when none does. */
  #listField(pos: readonly string[], neg: readonly string[], get: (c: Ctx) => readonly string[] | undefined): Pred {
    const yes = pos.length ? compileStringMatch(pos, false) : undefined;
    const no = neg.length ? compileStringMatch(neg, false) : undefined;
    return (c) => {
      const vs = get(c) ?? [];
      if (yes && !vs.some((v) => yes(v))) return false;
      return !(no && vs.some((v) => no(v)));
    };
  }

  #ipField(path: string, pos: readonly string[] | undefined, neg: readonly string[] | undefined, get: (c: Ctx) => ParsedIp | undefined): Pred[] {
    const out: Pred[] = [];
    for (const [name, list, negate] of [[path, pos, false], [`not${path[0]!.toUpperCase()}${path.slice(1)}`, neg, true]] as const) {
      const m = this.#values<IpMatcher>(name, list, compileIpBlocks);
      if (m === undefined) continue;
      if (m === ALWAYS || m === NEVER_P) out.push(m as Pred);
      else out.push(negate ? (c) => !(m as IpMatcher)(get(c)) : (c) => (m as IpMatcher)(get(c)));
    }
    return out;
  }

  source(s: AuthzSourceSnapshot & Record<string, unknown>, path: string): Pred {
    const ps: Pred[] = [
      ...this.#strField(`${path}.principals`, s.principals, s.notPrincipals, (c) => c.req.principal),
      ...this.#strField(`${path}.namespaces`, s.namespaces, s.notNamespaces, (c) => c.namespace),
      ...this.#strField(`${path}.serviceAccounts`, s.serviceAccounts, s.notServiceAccounts, (c) => serviceAccountOf(c.req.principal)),
      ...this.#strField(`${path}.trustDomains`, s.trustDomains, s.notTrustDomains, (c) => trustDomainOf(c.req.principal)),
      ...this.#ipField('ipBlocks', s.ipBlocks, s.notIpBlocks, (c) => c.sourceIp),
      ...this.#ipField('remoteIpBlocks', s.remoteIpBlocks, s.notRemoteIpBlocks, (c) => c.remoteIp),
    ];
    // The request's JWT is HTTP's: on TCP these fields are treated as Istio treats HTTP-only fields.
    ps.push(...this.#strField(`${path}.requestPrincipals`, s.requestPrincipals, s.notRequestPrincipals, (c) => c.req.auth?.principal).map((p) => this.#httpOnly(p)));
    return and(ps);
  }

  operation(o: AuthzOperationSnapshot, path: string): Pred {
    const ps: Pred[] = [];
    const http: Pred[] = [
      ...this.#strField(`${path}.hosts`, o.hosts?.map(canonicalPolicyHost), o.notHosts?.map(canonicalPolicyHost), (c) => c.req.host, true),
      ...this.#strField(`${path}.methods`, o.methods, o.notMethods, (c) => c.req.method),
    ];
    for (const [name, list, negate] of [['paths', o.paths, false], ['notPaths', o.notPaths, true]] as const) {
      const m = this.#values<ValueMatcher>(`${path}.${name}`, list, (vs) => anyOf(vs.map(compilePathPattern)));
      if (m === undefined) continue;
      if (m === ALWAYS || m === NEVER_P) http.push(m as Pred);
      else http.push(negate ? (c) => !(m as ValueMatcher)(c.req.path) : (c) => (m as ValueMatcher)(c.req.path));
    }
    ps.push(...http.map((p) => this.#httpOnly(p)));
    for (const [name, list, negate] of [['ports', o.ports, false], ['notPorts', o.notPorts, true]] as const) {
      if (!list?.length) continue;
      if (!list.every((p) => /^\d{1,5}$/.test(p) && Number(p) > 0 && Number(p) < 65536)) {
        ps.push(this.#bad(`${path}.${name}`, `ports must be port numbers, got ${JSON.stringify(list)}`));
        continue;
      }
      const set = new Set(list.map((p) => String(Number(p))));
      ps.push(negate ? (c) => !set.has(c.port) : (c) => set.has(c.port));
    }
    return and(ps);
  }

  condition(k: AuthzConditionSnapshot, path: string): Pred {
    const { key } = k;
    const pos = k.values ?? [];
    const neg = k.notValues ?? [];
    if (pos.length === 0 && neg.length === 0) return this.#bad(path, 'a condition needs values or notValues');
    const str = (get: (c: Ctx) => string | undefined, lower = false): Pred => and(this.#strField(path, pos.length ? pos : undefined, neg.length ? neg : undefined, get, lower));
    const ip = (get: (c: Ctx) => ParsedIp | undefined): Pred => {
      const ps: Pred[] = [];
      try {
        if (pos.length) {
          const m = compileIpBlocks(pos);
          ps.push((c) => m(get(c)));
        }
        if (neg.length) {
          const m = compileIpBlocks(neg);
          ps.push((c) => !m(get(c)));
        }
      } catch (err) {
        return this.#bad(path, (err as Error).message);
      }
      return and(ps);
    };
    const hm = /^request\.headers\[(.+)\]$/.exec(key);
    if (hm) {
      const name = hm[1]!.toLowerCase();
      return this.#httpOnly(str((c) => header(c, name)));
    }
    const cm = CLAIM_KEY.exec(key);
    if (cm) {
      const names = [...cm[1]!.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!);
      return this.#httpOnly(this.#listField(pos, neg, (c) => claimStrings(c.req.auth?.claims, names)));
    }
    switch (key) {
      case 'request.auth.principal':
        return this.#httpOnly(str((c) => c.req.auth?.principal));
      case 'request.auth.presenter':
        return this.#httpOnly(str((c) => c.req.auth?.presenter));
      case 'request.auth.audiences':
        return this.#httpOnly(this.#listField(pos, neg, (c) => c.req.auth?.audiences));
      case 'source.principal':
        return str((c) => c.req.principal);
      case 'source.namespace':
        return str((c) => c.namespace);
      case 'source.ip':
        return ip((c) => c.sourceIp);
      case 'remote.ip':
        return ip((c) => c.remoteIp);
      case 'destination.ip':
        return ip((c) => c.destinationIp);
      case 'destination.port': {
        const all = [...pos, ...neg];
        if (!all.every((p) => /^\d{1,5}$/.test(p))) return this.#bad(path, `destination.port values must be port numbers`);
        const yes = new Set(pos.map((p) => String(Number(p))));
        const no = new Set(neg.map((p) => String(Number(p))));
        return (c) => (yes.size === 0 || yes.has(c.port)) && !no.has(c.port);
      }
      default:
        return this.#bad(path, `condition key ${JSON.stringify(key)} is not supported by dockmesh`);
    }
  }

  rule(r: AuthzRuleSnapshot): Pred {
    const parts: Pred[] = [];
    if (r.from?.length) parts.push(or(r.from.map((s, i) => this.source((s ?? {}) as AuthzSourceSnapshot & Record<string, unknown>, `from[${i}].source`))));
    if (r.to?.length) parts.push(or(r.to.map((o, i) => this.operation(o ?? {}, `to[${i}].operation`))));
    for (const [i, k] of (r.when ?? []).entries()) parts.push(this.condition(k, `when[${i}]`));
    for (const u of r.unsupported ?? []) parts.push(this.#bad(u, 'not supported by dockmesh'));
    return and(parts);
  }
}

/** A `hosts` value in the canonical form requests are compared in: lower case, no port (`:*` too), no trailing dot. */
export function canonicalPolicyHost(value: string): string {
  let h = value.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h.slice(1);
  } else {
    const m = /^([^:]*):(\*|\d{1,5})$/.exec(h);
    if (m) h = m[1]!;
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

interface CompiledPolicy {
  id: string;
  rules: Pred[];
}

function compilePolicy(p: AuthzPolicySnapshot, problems: string[]): CompiledPolicy {
  const id = `${p.namespace}/${p.name}`;
  if (p.action === 'CUSTOM') problems.push(`${id}: action CUSTOM is not supported by dockmesh (no external authorizer); requests its rules match are denied`);
  const rules = (p.rules ?? []).map((r, i) => {
    const rc = new RuleCompiler(`${id} rules[${i}]`, p.action);
    const pred = rc.rule(r ?? {});
    problems.push(...rc.unsupported);
    return pred;
  });
  return { id, rules };
}

function firstMatch(policies: readonly CompiledPolicy[], c: Ctx): { policy: string; rule: number } | undefined {
  for (const p of policies) {
    for (let i = 0; i < p.rules.length; i++) if (p.rules[i]!(c)) return { policy: p.id, rule: i };
  }
  return undefined;
}

/** Compiles the policies that select a workload into one evaluator. */
export function compileAuthz(snapshot: InboundAuthzSnapshot | undefined): CompiledAuthz {
  const problems: string[] = [];
  const by: Record<Action, CompiledPolicy[]> = { CUSTOM: [], DENY: [], ALLOW: [], AUDIT: [] };
  for (const p of snapshot?.policies ?? []) by[p.action ?? 'ALLOW'].push(compilePolicy(p, problems));
  const enforcing = (snapshot?.policies.length ?? 0) > 0;
  const hasAllow = by.ALLOW.length > 0;

  const evaluate = (req: AuthzRequest): AuthzDecision => {
    if (!enforcing) return { allow: true, reason: 'no-policy' };
    const c: Ctx = {
      req,
      http: req.protocol !== 'tcp',
      namespace: req.namespace ?? namespaceOf(req.principal),
      sourceIp: parseIp(req.sourceIp),
      remoteIp: parseIp(req.remoteIp ?? req.sourceIp),
      destinationIp: parseIp(req.destinationIp),
      port: String(req.port),
    };
    const audit = by.AUDIT.length ? firstMatch(by.AUDIT, c) !== undefined : undefined;
    const withAudit = <D extends AuthzDecision>(d: D): D => (audit ? { ...d, audit } : d);
    const custom = firstMatch(by.CUSTOM, c);
    if (custom) return withAudit({ allow: false, ...custom, reason: 'custom-unsupported' });
    const deny = firstMatch(by.DENY, c);
    if (deny) return withAudit({ allow: false, ...deny, reason: 'denied' });
    if (!hasAllow) return withAudit({ allow: true, reason: 'no-policy' });
    const allow = firstMatch(by.ALLOW, c);
    if (allow) return withAudit({ allow: true, ...allow, reason: 'allowed' });
    return withAudit({ allow: false, reason: 'no-allow-match' });
  };
  return Object.assign(evaluate, { problems, enforcing });
}
