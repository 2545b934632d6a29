/**
 * The JWT rules of the RequestAuthentications that apply to one workload, in the agent's wire form
 * (pure). Scope (RequestAuthentication reference): a policy applies to the workloads of its
 * namespace, and one in the root namespace to the workloads of every namespace; `selector` narrows
 * it. Every applying policy's rules are merged, as Istio does. `targetRef(s)` attach to gateways and
 * waypoints, never to a sidecar (reported, not applied).
 */
import type { JwtRuleSnapshot } from '../../wire/types.ts';
import { durationMs } from '../meshfile/duration.ts';
import type { MeshObject } from '../meshfile/mesh-spec.ts';
import type { JwtRuleSpec, RequestAuthenticationSpec } from '../meshfile/security-spec.ts';
import { labelsMatch, ROOT_NAMESPACE, type PolicyTarget } from './workload-selector.ts';

export interface JwtSelection {
  rules: JwtRuleSnapshot[];
  warnings: string[];
}

function list<T>(v: readonly T[] | undefined): T[] | undefined {
  return v && v.length ? [...v] : undefined;
}

function jwtRule(r: JwtRuleSpec, source: string): JwtRuleSnapshot {
  const out: JwtRuleSnapshot = { issuer: r.issuer, source };
  const audiences = list(r.audiences);
  if (audiences) out.audiences = audiences;
  // Istio: an inline jwks wins over jwksUri.
  if (r.jwks !== undefined) out.jwks = r.jwks;
  else if (r.jwksUri !== undefined) out.jwksUri = r.jwksUri;
  if (r.timeout !== undefined) out.timeoutMs = durationMs(r.timeout);
  const headers = list(r.fromHeaders);
  if (headers) out.fromHeaders = headers.map((h) => (h.prefix !== undefined ? { name: h.name.toLowerCase(), prefix: h.prefix } : { name: h.name.toLowerCase() }));
  const params = list(r.fromParams);
  if (params) out.fromParams = params;
  const cookies = list(r.fromCookies);
  if (cookies) out.fromCookies = cookies;
  if (r.forwardOriginalToken) out.forwardOriginalToken = true;
  if (r.outputPayloadToHeader) out.outputPayloadToHeader = r.outputPayloadToHeader.toLowerCase();
  const claims = (r.outputClaimToHeaders ?? []).filter((o) => o.header && o.claim).map((o) => ({ header: o.header!.toLowerCase(), claim: o.claim! }));
  if (claims.length) out.outputClaimToHeaders = claims;
  if (r.failureMode && r.failureMode !== 'PERMISSIVE') out.failureMode = r.failureMode;
  return out;
}

/** The JWT rules for `target`, in file order. */
export function selectJwtRules(target: PolicyTarget, policies: readonly MeshObject<RequestAuthenticationSpec>[], o: { rootNamespace?: string } = {}): JwtSelection {
  const root = o.rootNamespace ?? ROOT_NAMESPACE;
  const rules: JwtRuleSnapshot[] = [];
  const warnings: string[] = [];
  for (const p of policies) {
    if (p.namespace !== root && p.namespace !== target.namespace) continue;
    if (p.spec.targetRef || p.spec.targetRefs?.length) {
      warnings.push(`RequestAuthentication ${p.namespace}/${p.name} (${p.file}:${p.line}): targetRef(s) attach to gateways and waypoints, not sidecars; it applies to no dockmesh workload`);
      continue;
    }
    if (!labelsMatch(p.spec.selector, target.labels)) continue;
    for (const r of p.spec.jwtRules ?? []) rules.push(jwtRule(r, `${p.namespace}/${p.name}`));
  }
  return { rules, warnings };
}
