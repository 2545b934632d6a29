/**
 * Istio's `exportTo` on VirtualServices and DestinationRules: which namespaces' workloads see a
 * document. Pure. The checks are pilot's `validateExportTo`; the visibility is pilot's
 * `PushContext` (`initVirtualServices`, `setDestinationRules`); no `exportTo` means every
 * namespace (Istio's default `defaultVirtualServiceExportTo` / `defaultDestinationRuleExportTo`).
 */
import type { DocReporter } from './doc-reporter.ts';

/** Every namespace. */
export const PUBLIC = '*';
/** The document's own namespace. */
export const PRIVATE = '.';
/** Nobody: valid only on ServiceEntries, which the meshfile does not have. */
const NONE = '~';

/** Istio's IsDNS1123Label. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The namespaces a document is exported to (`.` made its own), or `all`. */
export type ExportScope = 'all' | ReadonlySet<string>;

export function exportScope(exportTo: readonly string[] | undefined, namespace: string): ExportScope {
  if (!exportTo?.length || exportTo.includes(PUBLIC)) return 'all';
  return new Set(exportTo.map((e) => (e === PRIVATE ? namespace : e)));
}

/** Istio's checks of one `exportTo` list (errors, as `istioctl validate` reports them). */
export function checkExportTo(exportTo: readonly string[] | undefined, namespace: string, r: DocReporter, withSelector = false): void {
  if (!exportTo?.length) return;
  // namespace (with "." made the document's) → the entry that named it
  const seen = new Map<string, string>();
  exportTo.forEach((e, i) => {
    const p = `spec.exportTo[${i}]`;
    const key = e === PRIVATE ? namespace : e;
    const before = seen.get(key);
    if (before !== undefined) {
      r.report('MESH_ERR_BAD_VALUE', p, before === e ? `"${e}" is already in exportTo` : `"${before}" and "${e}" both name this document's namespace "${namespace}"`);
      return;
    }
    if (e === NONE) r.report('MESH_ERR_BAD_VALUE', p, '"~" (exported to nobody) is allowed only on ServiceEntries');
    else if (e !== PUBLIC && e !== PRIVATE && !DNS_LABEL.test(e)) r.report('MESH_ERR_BAD_VALUE', p, `"${e}" is not ".", "*" or a namespace name (a DNS label: lower-case letters, digits, "-")`);
    else seen.set(key, e);
  });
  if (seen.has(PUBLIC) && exportTo.length > 1) r.report('MESH_ERR_BAD_VALUE', 'spec.exportTo', '"*" already exports to every namespace: it cannot be listed with others');
  if (withSelector && seen.size) {
    if (!seen.has(namespace)) r.report('MESH_ERR_BAD_VALUE', 'spec.exportTo', `a DestinationRule with a workloadSelector applies in its own namespace only: exportTo must be "." (or "${namespace}")`);
    else if (seen.size > 1) r.report('MESH_ERR_BAD_VALUE', 'spec.exportTo', `a DestinationRule with a workloadSelector cannot be exported beyond its namespace: exportTo must be "." alone`);
  }
}

/**
 * How a VirtualService ranks for a client in `clientNs` (pilot's order for sidecars): 0 private to
 * the client's namespace (its own, exported to "." or by name), 1 exported to the client's namespace
 * by name, 2 public (no exportTo, or "*"); undefined when not visible. The first of the lowest rank wins.
 */
export function virtualServiceRank(scope: ExportScope, namespace: string, clientNs: string): 0 | 1 | 2 | undefined {
  if (scope === 'all') return 2;
  if (!scope.has(clientNs)) return undefined;
  return clientNs === namespace ? 0 : 1;
}

/**
 * Whether two VirtualServices for one host (of namespaces `aNs`, `bNs`) tie for some namespace (same
 * rank, so only their order would decide): both public, both private to one namespace, or both
 * exported by name to one. Private to a namespace and exported to it by name rank apart.
 */
export function virtualServicesTie(a: ExportScope, aNs: string, b: ExportScope, bNs: string): boolean {
  if (a === 'all' || b === 'all') return a === b;
  for (const ns of a) if (b.has(ns) && (ns === aNs) === (ns === bNs)) return true;
  return false;
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}

/** A DestinationRule in its namespace's local pool: the first step of the lookup for clients there. */
export function destinationRuleLocal(scope: ExportScope, namespace: string): boolean {
  return scope === 'all' || scope.has(namespace);
}

/**
 * A DestinationRule's export to clients of other namespaces (from the service's namespace or the
 * root namespace): none when it is exported to its own namespace only.
 */
export function destinationRuleExports(scope: ExportScope, namespace: string): ExportScope | undefined {
  if (scope === 'all') return scope;
  const others = new Set([...scope].filter((ns) => ns !== namespace));
  return others.size ? others : undefined;
}

/** Whether two DestinationRules of one namespace for one host overlap: both local, or exported to a common namespace. */
export function destinationRulesTie(a: ExportScope, b: ExportScope, namespace: string): boolean {
  if (destinationRuleLocal(a, namespace) && destinationRuleLocal(b, namespace)) return true;
  const ea = destinationRuleExports(a, namespace);
  const eb = destinationRuleExports(b, namespace);
  if (!ea || !eb) return false;
  return ea === 'all' || eb === 'all' || intersects(ea, eb);
}
