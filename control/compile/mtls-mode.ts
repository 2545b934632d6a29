/**
 * The effective inbound mTLS mode of one workload from the meshfile's PeerAuthentications (pure),
 * with Istio's semantics (PeerAuthentication reference):
 *   - mesh-wide: a policy without selector in the root namespace (istio-system); a policy with a
 *     selector in the root namespace is ignored;
 *   - namespace-wide: a policy without selector in the workload's namespace;
 *   - workload: a policy in the workload's namespace whose selector.matchLabels match its labels;
 *   - the most specific level that sets a mode wins; UNSET (or no `mtls`) inherits from the level
 *     above; with nothing set, the Mesh document's defaultMtlsMode, else PERMISSIVE;
 *   - portLevelMtls applies only in a policy with a selector; a port's UNSET inherits the workload's
 *     mode; ports are the workload's (container) ports;
 *   - several policies at one level: Istio takes the oldest; the meshfile has no creation times, so
 *     the first in file order wins and the others are reported.
 */
import type { MtlsModeSnapshot } from '../../wire/types.ts';
import type { MeshObject } from '../meshfile/mesh-spec.ts';
import type { MtlsModeSpec, PeerAuthenticationSpec } from '../meshfile/security-spec.ts';
import { hasSelector, labelsMatch, ROOT_NAMESPACE, type PolicyTarget } from './workload-selector.ts';

export interface MtlsResolution {
  mode: MtlsModeSnapshot;
  /** Per-port overrides that differ from `mode`. */
  ports: Record<string, MtlsModeSnapshot>;
  warnings: string[];
}

function setMode(m: MtlsModeSpec | undefined): MtlsModeSnapshot | undefined {
  return m === 'STRICT' || m === 'PERMISSIVE' || m === 'DISABLE' ? m : undefined;
}

function ref(p: MeshObject<unknown>): string {
  return `${p.namespace}/${p.name} (${p.file}:${p.line})`;
}

/** The first policy of a level; the rest are reported as shadowed. */
function first<S>(level: string, list: MeshObject<S>[], warnings: string[]): MeshObject<S> | undefined {
  for (const extra of list.slice(1)) {
    warnings.push(`PeerAuthentication ${ref(extra)} ignored: ${ref(list[0]!)} is the ${level} policy (the first in file order wins, as Istio's oldest)`);
  }
  return list[0];
}

export function resolveMtls(
  target: PolicyTarget,
  policies: readonly MeshObject<PeerAuthenticationSpec>[],
  o: { defaultMode?: MtlsModeSnapshot; rootNamespace?: string } = {},
): MtlsResolution {
  const root = o.rootNamespace ?? ROOT_NAMESPACE;
  const warnings: string[] = [];
  const mesh: MeshObject<PeerAuthenticationSpec>[] = [];
  const ns: MeshObject<PeerAuthenticationSpec>[] = [];
  const wl: MeshObject<PeerAuthenticationSpec>[] = [];
  for (const p of policies) {
    const selected = hasSelector(p.spec.selector);
    if (p.namespace === root && target.namespace !== root) {
      if (!selected) mesh.push(p);
      // Istio ignores selector policies in the root namespace.
    } else if (p.namespace === target.namespace) {
      if (!selected) (p.namespace === root ? mesh : ns).push(p);
      else if (p.namespace !== root && labelsMatch(p.spec.selector, target.labels)) wl.push(p);
    }
  }
  const meshP = first('mesh-wide', mesh, warnings);
  const nsP = first(`namespace-wide (${target.namespace})`, ns, warnings);
  const wlP = first('workload', wl, warnings);

  let mode: MtlsModeSnapshot = o.defaultMode ?? 'PERMISSIVE';
  for (const p of [meshP, nsP, wlP]) mode = setMode(p?.spec.mtls?.mode) ?? mode;

  const ports: Record<string, MtlsModeSnapshot> = {};
  for (const p of [meshP, nsP]) {
    if (p?.spec.portLevelMtls && Object.keys(p.spec.portLevelMtls).length) {
      warnings.push(`PeerAuthentication ${ref(p)}: portLevelMtls ignored (it applies only with a workload selector)`);
    }
  }
  for (const [port, m] of Object.entries(wlP?.spec.portLevelMtls ?? {})) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      warnings.push(`PeerAuthentication ${ref(wlP!)}: portLevelMtls key ${JSON.stringify(port)} is not a port`);
      continue;
    }
    const pm = setMode(m?.mode) ?? mode;
    if (pm !== mode) ports[String(n)] = pm;
  }
  return { mode, ports, warnings };
}
