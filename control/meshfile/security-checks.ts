/**
 * Semantic checks of PeerAuthentication and AuthorizationPolicy: the CRDs' CEL rules (which JSON
 * Schema cannot express) and Istio's validation of principals, IP blocks, ports and conditions.
 */
import { isIP } from 'node:net';
import type { DocReporter } from './doc-reporter.ts';
import { childPath, indexPath } from './position-index.ts';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec, WorkloadSelectorSpec } from './security-spec.ts';

/** Condition keys dockmesh evaluates. */
const SUPPORTED_KEYS = new Set(['source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter']);
/** `request.auth.claims[<name>]`, nested `[<name>][<name>]...` (Istio's conditions reference). */
const CLAIM_KEY = /^request\.auth\.claims(\[[^\]]+\])+$/;
/** Condition keys Istio knows that dockmesh does not evaluate. */
const ISTIO_ONLY_KEYS = [/^request\.auth\./, /^connection\.sni$/, /^experimental\.envoy\.filters\./];
const HEADER_KEY = /^request\.headers\[[^\]]+\]$/;

/** A workload selector's labels: no empty key, no `*` (Istio's validation); `path` is the selector's. */
export function checkSelector(sel: WorkloadSelectorSpec | undefined, r: DocReporter, path = 'spec.selector'): void {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) {
    const p = childPath(`${path}.matchLabels`, k);
    if (k === '' || k.includes('*')) r.report('MESH_ERR_BAD_VALUE', p, `label key ${JSON.stringify(k)} cannot be empty or contain "*"`, 'key');
    if (v.includes('*')) r.report('MESH_ERR_BAD_VALUE', p, `label value ${JSON.stringify(v)} cannot contain "*"`);
  }
}

export function checkPeerAuthentication(spec: PeerAuthenticationSpec, r: DocReporter): void {
  checkSelector(spec.selector, r);
  const ports = Object.keys(spec.portLevelMtls ?? {});
  for (const key of ports) {
    const n = Number(key);
    if (!/^\d+$/.test(key) || n < 1 || n > 65535) r.report('MESH_ERR_BAD_VALUE', childPath('spec.portLevelMtls', key), `port ${JSON.stringify(key)} must be a number between 1 and 65535`, 'key');
  }
  if (ports.length && Object.keys(spec.selector?.matchLabels ?? {}).length === 0) {
    r.report('MESH_ERR_MISSING_FIELD', 'spec.portLevelMtls', 'portLevelMtls needs a selector with matchLabels (Istio rejects it on a namespace- or mesh-wide policy)', 'key');
  }
}

/** Istio allows "*" only alone, as a prefix or as a suffix. */
function checkWildcards(values: readonly string[] | undefined, path: string, r: DocReporter): void {
  (values ?? []).forEach((v, i) => {
    const inner = v.length > 1 ? v.slice(1, -1) : '';
    if (inner.includes('*') || (v.startsWith('*') && v.endsWith('*') && v.length > 1)) {
      r.report('MESH_ERR_BAD_VALUE', indexPath(path, i), `${JSON.stringify(v)}: "*" is allowed only alone, as a prefix or as a suffix`);
    }
  });
}

function checkIpBlocks(values: readonly string[] | undefined, path: string, r: DocReporter): void {
  (values ?? []).forEach((v, i) => {
    const [ip, bits, extra] = v.split('/');
    const family = isIP(ip ?? '');
    const ok = family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
    if (!ok) r.report('MESH_ERR_BAD_VALUE', indexPath(path, i), `${JSON.stringify(v)} is not an IP address or CIDR block`);
  });
}

function checkPorts(values: readonly string[] | undefined, path: string, r: DocReporter): void {
  (values ?? []).forEach((v, i) => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) r.report('MESH_ERR_BAD_VALUE', indexPath(path, i), `port ${JSON.stringify(v)} must be a number between 1 and 65535`);
  });
}

export function checkAuthorizationPolicy(spec: AuthorizationPolicySpec, r: DocReporter): void {
  checkSelector(spec.selector, r);
  const targets = [spec.selector, spec.targetRef, spec.targetRefs].filter((x) => x !== undefined).length;
  if (targets > 1) r.report('MESH_ERR_ONE_OF', 'spec', 'set at most one of selector, targetRef, targetRefs');
  if (spec.action === 'CUSTOM') {
    r.report('MESH_WARN_UNSUPPORTED_VALUE', 'spec.action', 'dockmesh has no external authorizer: a request this CUSTOM policy matches is denied (fails closed)');
  }
  (spec.rules ?? []).forEach((rule, i) => {
    const rp = `spec.rules[${i}]`;
    (rule.from ?? []).forEach((f, j) => {
      const s = f.source;
      if (!s) return;
      const sp = `${rp}.from[${j}].source`;
      if ((s.serviceAccounts || s.notServiceAccounts) && (s.principals || s.notPrincipals || s.namespaces || s.notNamespaces)) {
        r.report('MESH_ERR_ONE_OF', sp, 'serviceAccounts and notServiceAccounts cannot be combined with principals or namespaces');
      }
      for (const k of ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'] as const) checkWildcards(s[k], childPath(sp, k), r);
      for (const k of ['serviceAccounts', 'notServiceAccounts'] as const) {
        (s[k] ?? []).forEach((v, n) => {
          if (v !== '*' && !/^[^/]+\/[^/]+$/.test(v)) r.report('MESH_WARN_UNSUPPORTED_VALUE', indexPath(childPath(sp, k), n), `${JSON.stringify(v)} never matches: a service account is written <namespace>/<name>, e.g. "default/web"`);
        });
      }
      checkIpBlocks(s.ipBlocks, childPath(sp, 'ipBlocks'), r);
      checkIpBlocks(s.notIpBlocks, childPath(sp, 'notIpBlocks'), r);
    });
    (rule.to ?? []).forEach((t, j) => {
      const o = t.operation;
      if (!o) return;
      const op = `${rp}.to[${j}].operation`;
      for (const k of ['hosts', 'notHosts', 'paths', 'notPaths', 'methods', 'notMethods'] as const) checkWildcards(o[k], childPath(op, k), r);
      checkPorts(o.ports, childPath(op, 'ports'), r);
      checkPorts(o.notPorts, childPath(op, 'notPorts'), r);
    });
    (rule.when ?? []).forEach((c, j) => {
      const cp = `${rp}.when[${j}]`;
      if (!c.values && !c.notValues) r.report('MESH_ERR_MISSING_FIELD', cp, 'a condition needs values or notValues');
      if (SUPPORTED_KEYS.has(c.key) || HEADER_KEY.test(c.key) || CLAIM_KEY.test(c.key)) return;
      if (ISTIO_ONLY_KEYS.some((re) => re.test(c.key))) {
        r.report('MESH_WARN_UNSUPPORTED_VALUE', `${cp}.key`, `condition key "${c.key}" is not evaluated by dockmesh: an ALLOW rule with it never matches, a DENY rule ignores it`);
      } else {
        r.report('MESH_ERR_BAD_VALUE', `${cp}.key`, `unknown condition key "${c.key}": use request.headers[<name>], source.ip, remote.ip, source.namespace, source.principal, destination.ip, destination.port, request.auth.principal, request.auth.audiences, request.auth.presenter or request.auth.claims[<name>]`);
      }
    });
  });
}

/** Istio's checks of a RequestAuthentication (validateJwtRule), and what dockmesh needs to use it. */
export function checkRequestAuthentication(spec: RequestAuthenticationSpec, r: DocReporter): void {
  checkSelector(spec.selector, r);
  const targets = [spec.selector, spec.targetRef, spec.targetRefs].filter((x) => x !== undefined).length;
  if (targets > 1) r.report('MESH_ERR_ONE_OF', 'spec', 'set at most one of selector, targetRef, targetRefs');
  (spec.jwtRules ?? []).forEach((rule, i) => {
    const p = `spec.jwtRules[${i}]`;
    if (rule.jwksUri !== undefined && !httpUrl(rule.jwksUri)) r.report('MESH_ERR_BAD_VALUE', `${p}.jwksUri`, `${JSON.stringify(rule.jwksUri)} is not an http or https URL`);
    if (rule.jwks !== undefined) {
      const problem = jwksProblem(rule.jwks);
      if (problem) r.report('MESH_ERR_BAD_VALUE', `${p}.jwks`, `jwks parse error: ${problem}`);
      if (rule.jwksUri !== undefined) r.report('MESH_WARN_UNSUPPORTED_VALUE', `${p}.jwksUri`, 'only one of jwksUri and jwks should be set: the inline jwks is used, as in Istio');
    } else if (rule.jwksUri === undefined && !httpUrl(rule.issuer)) {
      r.report('MESH_ERR_MISSING_FIELD', p, `set jwks or jwksUri: the issuer ${JSON.stringify(rule.issuer)} is not a URL its keys could be discovered from (OpenID Connect discovery)`, 'key');
    }
    const headers = new Set<string>();
    (rule.outputClaimToHeaders ?? []).forEach((o, j) => {
      const q = `${p}.outputClaimToHeaders[${j}]`;
      if (!o.header || !o.claim) r.report('MESH_ERR_MISSING_FIELD', q, 'an outputClaimToHeaders entry needs header and claim');
      else if (headers.has(o.header.toLowerCase())) r.report('MESH_ERR_BAD_VALUE', `${q}.header`, `header ${JSON.stringify(o.header)} is already an output of this rule (each must be unique)`);
      else headers.add(o.header.toLowerCase());
    });
  });
}

function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Why inline JWKS text is not a key set (JSON with a non-empty `keys` array of keys with a `kty`). */
function jwksProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  const keys = (v as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'no "keys" array of JSON Web Keys';
  const bad = keys.findIndex((k) => typeof (k as { kty?: unknown })?.kty !== 'string');
  return bad >= 0 ? `keys[${bad}] has no "kty"` : undefined;
}
