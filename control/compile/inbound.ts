/**
 * Pure: MeshSpec + one workload → what its agent enforces inbound (`AgentSnapshot.inbound`): the
 * mTLS mode from PeerAuthentication and the AuthorizationPolicies that select it, with Istio's scoping:
 * - PeerAuthentication: the workload's own policy (selector in its namespace) over its namespace's
 *   (no selector) over the mesh's (no selector, root namespace) over `Mesh.spec.defaultMtlsMode` over
 *   PERMISSIVE; `UNSET` inherits; port-level modes come from the workload's policy. Selector policies
 *   in the root namespace are ignored, as in Istio. The first matching document of a level wins.
 * - AuthorizationPolicy: policies in the root namespace apply to every namespace, others to their own;
 *   no selector selects every workload there.
 * Absent result: PERMISSIVE and no policy (the wire's default).
 */
import type { MeshObject, MeshSpec } from '../meshfile/mesh-spec.ts';
import type { AuthorizationPolicySpec, MtlsModeSpec, SourceSpec } from '../meshfile/security-spec.ts';
import type { AuthzPolicySnapshot, AuthzRuleSnapshot, AuthzSourceSnapshot, InboundSnapshot, MtlsModeSnapshot } from '../../wire/types.ts';

/** Istio's default root namespace: policies here without a selector are mesh-wide. */
export const ROOT_NAMESPACE = 'istio-system';

/** The workload being compiled. */
export interface InboundTarget {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

const SOURCE_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const;
const UNEVALUATED = ['serviceAccounts', 'notServiceAccounts', 'requestPrincipals', 'notRequestPrincipals', 'trustDomains', 'notTrustDomains'] as const;

function selects(matchLabels: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function hasSelector(s: { selector?: { matchLabels?: Readonly<Record<string, string>> } }): boolean {
  return Object.keys(s.selector?.matchLabels ?? {}).length > 0;
}

function resolved(mode: MtlsModeSpec | undefined): MtlsModeSnapshot | undefined {
  return mode === undefined || mode === 'UNSET' ? undefined : mode;
}

function mtlsOf(spec: MeshSpec, w: InboundTarget): InboundSnapshot['mtls'] {
  const pas = spec.peerAuthentications;
  const own = pas.find((p) => p.namespace === w.namespace && p.namespace !== ROOT_NAMESPACE && hasSelector(p.spec) && selects(p.spec.selector?.matchLabels, w.labels));
  const ns = pas.find((p) => p.namespace === w.namespace && !hasSelector(p.spec));
  const mesh = pas.find((p) => p.namespace === ROOT_NAMESPACE && !hasSelector(p.spec));
  const inherited =
    resolved(ns?.spec.mtls?.mode) ?? resolved(mesh?.spec.mtls?.mode) ?? spec.mesh?.spec.defaultMtlsMode ?? 'PERMISSIVE';
  const mode = resolved(own?.spec.mtls?.mode) ?? inherited;
  const out: InboundSnapshot['mtls'] = { mode };
  const portLevel = own?.spec.portLevelMtls;
  if (portLevel && Object.keys(portLevel).length) {
    out.ports = {};
    for (const port of Object.keys(portLevel).sort((a, b) => Number(a) - Number(b))) out.ports[port] = resolved(portLevel[port]!.mode) ?? mode;
  }
  return out;
}

function source(s: SourceSpec): AuthzSourceSnapshot {
  const out: AuthzSourceSnapshot = {};
  for (const f of SOURCE_FIELDS) if (s[f] !== undefined) out[f] = [...s[f]!];
  return out;
}

function rule(r: NonNullable<AuthorizationPolicySpec['rules']>[number]): AuthzRuleSnapshot {
  const out: AuthzRuleSnapshot = {};
  const unsupported: string[] = [];
  if (r.from) {
    out.from = r.from.map((f, i) => {
      for (const k of UNEVALUATED) if (f.source?.[k] !== undefined) unsupported.push(`from[${i}].source.${k}`);
      return source(f.source ?? {});
    });
  }
  if (r.to) out.to = r.to.map((t) => Object.fromEntries(Object.entries(t.operation ?? {}).map(([k, v]) => [k, [...(v as string[])]])));
  if (r.when) out.when = r.when.map((c) => ({ key: c.key, ...(c.values && { values: [...c.values] }), ...(c.notValues && { notValues: [...c.notValues] }) }));
  if (unsupported.length) out.unsupported = unsupported;
  return out;
}

function policiesOf(spec: MeshSpec, w: InboundTarget): AuthzPolicySnapshot[] {
  const applies = (p: MeshObject<AuthorizationPolicySpec>) =>
    (p.namespace === w.namespace || p.namespace === ROOT_NAMESPACE) && selects(p.spec.selector?.matchLabels, w.labels);
  return spec.authorizationPolicies
    .filter(applies)
    .map((p) => ({ name: p.name, namespace: p.namespace, action: p.spec.action ?? 'ALLOW', rules: (p.spec.rules ?? []).map(rule) }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** Compiles the inbound policy of one workload; undefined when it is the default. */
export function compileInbound(spec: MeshSpec, workload: InboundTarget): InboundSnapshot | undefined {
  const mtls = mtlsOf(spec, workload);
  const policies = policiesOf(spec, workload);
  if (mtls.mode === 'PERMISSIVE' && !mtls.ports && policies.length === 0) return undefined;
  return { mtls, authz: { policies } };
}
