/**
 * The AuthorizationPolicies that apply to one workload, in the agent's wire form (pure).
 * Scope (AuthorizationPolicy reference): a policy in the root namespace applies to workloads of every
 * namespace, elsewhere to its own namespace; `selector.matchLabels` narrows it. A policy with
 * `targetRef`/`targetRefs` attaches to gateways or waypoints, never to a sidecar, so it selects no
 * dockmesh workload (reported).
 */
import type { AuthzPolicySnapshot, AuthzRuleSnapshot, AuthzSourceSnapshot } from '../../wire/types.ts';
import type { MeshObject } from '../meshfile/mesh-spec.ts';
import type { AuthorizationPolicySpec, RuleSpec, SourceSpec } from '../meshfile/security-spec.ts';
import { labelsMatch, ROOT_NAMESPACE, type PolicyTarget } from './workload-selector.ts';

function list(v: readonly string[] | undefined): string[] | undefined {
  return v && v.length ? [...v] : undefined;
}

function source(s: SourceSpec | undefined): AuthzSourceSnapshot {
  const out: AuthzSourceSnapshot = {};
  if (!s) return out;
  const put = (k: keyof AuthzSourceSnapshot, v: readonly string[] | undefined) => {
    const l = list(v);
    if (l) out[k] = l;
  };
  put('principals', s.principals);
  put('notPrincipals', s.notPrincipals);
  put('namespaces', s.namespaces);
  put('notNamespaces', s.notNamespaces);
  put('serviceAccounts', s.serviceAccounts);
  put('notServiceAccounts', s.notServiceAccounts);
  put('trustDomains', s.trustDomains);
  put('notTrustDomains', s.notTrustDomains);
  put('ipBlocks', s.ipBlocks);
  put('notIpBlocks', s.notIpBlocks);
  put('remoteIpBlocks', s.remoteIpBlocks);
  put('notRemoteIpBlocks', s.notRemoteIpBlocks);
  put('requestPrincipals', s.requestPrincipals);
  put('notRequestPrincipals', s.notRequestPrincipals);
  return out;
}

function rule(r: RuleSpec): AuthzRuleSnapshot {
  const out: AuthzRuleSnapshot = {};
  if (r.from?.length) out.from = r.from.map((f) => source(f.source));
  if (r.to?.length) {
    out.to = r.to.map((t) => {
      const o = t.operation ?? {};
      const op: NonNullable<AuthzRuleSnapshot['to']>[number] = {};
      for (const k of ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const) {
        const l = list(o[k]);
        if (l) op[k] = l;
      }
      return op;
    });
  }
  if (r.when?.length) {
    out.when = r.when.map((c) => ({ key: c.key, ...(list(c.values) ? { values: [...c.values!] } : {}), ...(list(c.notValues) ? { notValues: [...c.notValues!] } : {}) }));
  }
  return out;
}

export interface AuthzSelection {
  policies: AuthzPolicySnapshot[];
  warnings: string[];
}

export function selectAuthz(
  target: PolicyTarget,
  policies: readonly MeshObject<AuthorizationPolicySpec>[],
  o: { rootNamespace?: string } = {},
): AuthzSelection {
  const root = o.rootNamespace ?? ROOT_NAMESPACE;
  const out: AuthzPolicySnapshot[] = [];
  const warnings: string[] = [];
  for (const p of policies) {
    if (p.namespace !== root && p.namespace !== target.namespace) continue;
    const id = `AuthorizationPolicy ${p.namespace}/${p.name} (${p.file}:${p.line})`;
    if (p.spec.targetRef || p.spec.targetRefs?.length) {
      warnings.push(`${id}: targetRef(s) attach to gateways and waypoints, not sidecars; it applies to no dockmesh workload`);
      continue;
    }
    if (!labelsMatch(p.spec.selector, target.labels)) continue;
    const action = p.spec.action ?? 'ALLOW';
    if (action === 'CUSTOM') warnings.push(`${id}: action CUSTOM is not supported (no external authorizer); dockmesh denies the requests its rules match`);
    const rules = (p.spec.rules ?? []).map((r) => rule(r));
    out.push({ name: p.name, namespace: p.namespace, action, rules });
  }
  return { policies: out, warnings };
}
