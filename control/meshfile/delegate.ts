/**
 * VirtualService delegation (`http[].delegate`), as pilot merges it: a root VirtualService's route
 * that names a delegate is replaced by the delegate's HTTP routes, each with its match narrowed by
 * the root route's and the root route's settings filling the ones it leaves unset. A delegate is a
 * VirtualService without hosts; one level only. Pure. The merge rules are pilot's
 * (`mergeHTTPRoutes`, `mergeHTTPRoute`, `mergeHTTPMatchRequests`, `hasConflict`,
 * `stringMatchConflict`); a delegate route whose match is not within the root route's is left out.
 */
import { exportScope } from './export-to.ts';
import type { MeshObject } from './mesh-spec.ts';
import type { DestinationSpec, HttpMatchRequestSpec, HttpRouteSpec, StringMatchSpec, VirtualServiceSpec } from './virtual-service-spec.ts';

/** A VirtualService without hosts: only ever used through a root's `delegate`. */
export function isDelegate(spec: VirtualServiceSpec): boolean {
  return !spec.hosts || spec.hosts.length === 0;
}

/** The namespace/name a root route delegates to (namespace: the root's by default). */
export function delegateKey(route: HttpRouteSpec, rootNamespace: string): string {
  return `${route.delegate?.namespace || rootNamespace}/${route.delegate?.name ?? ''}`;
}

/** Whether a delegate is exported to the root's namespace (pilot checks it before merging). */
export function exportedToRoot(delegate: { namespace: string; spec: VirtualServiceSpec }, rootNamespace: string): boolean {
  const scope = exportScope(delegate.spec.exportTo, delegate.namespace);
  return scope === 'all' || scope.has(rootNamespace);
}

/** pilot's stringMatchConflict: the leaf must match within what the root matches. */
export function stringMatchConflict(root: StringMatchSpec | undefined, leaf: StringMatchSpec | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex) return !!(leaf.regex || leaf.prefix || leaf.exact);
  if (leaf.regex) return !!(root.regex || root.prefix || root.exact);
  if (root.exact) return !!leaf.prefix || leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

/** pilot's hasConflict: whether `leaf` matches anything `root` does not. */
export function matchConflict(root: HttpMatchRequestSpec, leaf: HttpMatchRequestSpec): boolean {
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (stringMatchConflict(root[k], leaf[k])) return true;
  }
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    for (const [key, value] of Object.entries(leaf[k] ?? {})) {
      if (stringMatchConflict(root[k]?.[key], value)) return true;
    }
  }
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [key, value] of Object.entries(leaf.sourceLabels ?? {})) {
    const v = root.sourceLabels?.[key];
    if (v !== undefined && v !== value) return true;
  }
  if (root.gateways?.length && leaf.gateways?.length) {
    if (root.gateways.length < leaf.gateways.length || leaf.gateways.some((g) => !root.gateways!.includes(g))) return true;
  }
  return false;
}

const joinName = (root: string | undefined, leaf: string | undefined): string | undefined => (leaf ? (root ? `${root}-${leaf}` : leaf) : root);

function mergeMaps<V>(root: Readonly<Record<string, V>> | undefined, leaf: Readonly<Record<string, V>> | undefined): Readonly<Record<string, V>> | undefined {
  return root || leaf ? { ...root, ...leaf } : undefined;
}

/** pilot's mergeHTTPMatchRequest: the leaf's conditions, the root's where the leaf has none. */
function mergeMatch(root: HttpMatchRequestSpec, leaf: HttpMatchRequestSpec): HttpMatchRequestSpec {
  const out: HttpMatchRequestSpec = {
    ...leaf,
    name: joinName(root.name, leaf.name),
    uri: leaf.uri ?? root.uri,
    scheme: leaf.scheme ?? root.scheme,
    method: leaf.method ?? root.method,
    authority: leaf.authority ?? root.authority,
    headers: mergeMaps(root.headers, leaf.headers),
    withoutHeaders: mergeMaps(root.withoutHeaders, leaf.withoutHeaders),
    queryParams: mergeMaps(root.queryParams, leaf.queryParams),
    port: leaf.port || root.port,
    sourceLabels: mergeMaps(root.sourceLabels, leaf.sourceLabels),
    sourceNamespace: leaf.sourceNamespace || root.sourceNamespace,
    gateways: leaf.gateways?.length ? leaf.gateways : root.gateways,
    statPrefix: leaf.statPrefix || root.statPrefix,
  };
  for (const k of Object.keys(out) as (keyof HttpMatchRequestSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * pilot's mergeHTTPMatchRequests: every leaf match must fit some root match (merged with each it
 * fits); undefined when one fits none (the delegate route is left out).
 */
export function mergeMatches(root: readonly HttpMatchRequestSpec[] | undefined, leaf: readonly HttpMatchRequestSpec[] | undefined): readonly HttpMatchRequestSpec[] | undefined | 'conflict' {
  if (!root?.length) return leaf;
  if (!leaf?.length) return root;
  const out: HttpMatchRequestSpec[] = [];
  for (const l of leaf) {
    const fits = root.filter((r) => !matchConflict(r, l));
    if (fits.length === 0) return 'conflict';
    for (const r of fits) out.push(mergeMatch(r, l));
  }
  return out;
}

/** Fields a delegate route takes from the root route when it leaves them unset (pilot's list). */
const INHERITED = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirror_percent', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'] as const;

/** pilot's mergeHTTPRoute; undefined when the leaf's match conflicts with the root's. */
export function mergeHttpRoute(root: HttpRouteSpec, leaf: HttpRouteSpec): HttpRouteSpec | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (match === 'conflict') return undefined;
  const out: Record<string, unknown> = { ...leaf };
  if (match) out.match = match;
  else delete out.match;
  const name = joinName(root.name, leaf.name);
  if (name) out.name = name;
  for (const k of INHERITED) if (out[k] === undefined && root[k] !== undefined) out[k] = root[k];
  return out as HttpRouteSpec;
}

/** A short host (no dot) qualified by the delegate's namespace, as the delegate's own document means it. */
const qualify = (d: DestinationSpec, namespace: string): DestinationSpec => (d.host.includes('.') ? d : { ...d, host: `${d.host}.${namespace}` });

/** A delegate's route with its short destination hosts made `name.<delegate namespace>`. */
export function qualifyRoute(route: HttpRouteSpec, namespace: string): HttpRouteSpec {
  const out: HttpRouteSpec = { ...route };
  if (route.route) out.route = route.route.map((rd) => ({ ...rd, destination: qualify(rd.destination, namespace) }));
  if (route.mirror) out.mirror = qualify(route.mirror, namespace);
  if (route.mirrors) out.mirrors = route.mirrors.map((m) => ({ ...m, destination: qualify(m.destination, namespace) }));
  return out;
}

/**
 * The VirtualServices with every root's delegating routes replaced by its delegate's merged routes
 * (a delegate not found among `all`, or not exported to the root's namespace, drops that route, as
 * in pilot). Delegates themselves are kept: having no hosts, they route nothing on their own.
 */
export function mergeDelegates(all: readonly MeshObject<VirtualServiceSpec>[]): MeshObject<VirtualServiceSpec>[] {
  const delegates = new Map(all.filter((vs) => isDelegate(vs.spec)).map((vs) => [`${vs.namespace}/${vs.name}`, vs]));
  return all.map((vs) => {
    if (isDelegate(vs.spec) || !vs.spec.http?.some((h) => h.delegate)) return vs;
    const http: HttpRouteSpec[] = [];
    for (const h of vs.spec.http) {
      if (!h.delegate) {
        http.push(h);
        continue;
      }
      const d = delegates.get(delegateKey(h, vs.namespace));
      if (!d || !exportedToRoot(d, vs.namespace)) continue;
      const { delegate: _, ...root } = h;
      for (const leaf of d.spec.http ?? []) {
        const merged = mergeHttpRoute(root, qualifyRoute(leaf, d.namespace));
        if (merged) http.push(merged);
      }
    }
    return { ...vs, spec: { ...vs.spec, http } };
  });
}
