/**
 * Checks across documents, and against the project when a context is given: duplicate names, two
 * VirtualServices (or DestinationRules) for one host, hosts and subsets that name nothing.
 * Object-scoped errors disable the one document; the rest of the file still applies.
 */
import type { CanarySpec } from './canary-spec.ts';
import type { DestinationRuleSpec } from './destination-rule-spec.ts';
import type { DocReporter } from './doc-reporter.ts';
import { serviceKey, type HostLookup, type MeshfileContext, type ServiceRef } from './host-resolver.ts';
import type { MeshSettingsSpec, TelemetrySpec } from './mesh-spec.ts';
import { hasSelector, ROOT_NAMESPACE, type AuthorizationPolicySpec, type PeerAuthenticationSpec, type RequestAuthenticationSpec } from './security-spec.ts';
import { destinationRuleLocal, destinationRulesTie, exportScope, virtualServicesTie, type ExportScope } from './export-to.ts';
import { delegateKey, exportedToRoot, isDelegate, mergeHttpRoute } from './delegate.ts';
import { gatewayOnly } from './virtual-service-checks.ts';
import type { DestinationSpec, HttpRouteSpec, VirtualServiceSpec } from './virtual-service-spec.ts';

/** A document that passed structural validation. */
export interface LoadedDoc {
  kind: string;
  name: string;
  namespace: string;
  spec: unknown;
  r: DocReporter;
}

function labelsMatch(selector: Readonly<Record<string, string>> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

export class ReferenceChecks {
  readonly #docs: LoadedDoc[];
  readonly #ctx: MeshfileContext | undefined;
  readonly #lookup: HostLookup;
  /** service key → subset name → labels, from every DestinationRule. */
  readonly #subsets = new Map<string, Map<string, Readonly<Record<string, string>>>>();

  constructor(docs: LoadedDoc[], lookup: HostLookup, ctx?: MeshfileContext) {
    this.#docs = docs;
    this.#ctx = ctx;
    this.#lookup = lookup;
  }

  run(): void {
    this.#duplicateNames();
    this.#destinationRules();
    const routed = this.#virtualServices();
    const canaries = new Map<string, LoadedDoc>();
    for (const d of this.#docs) {
      if (d.kind === 'PeerAuthentication' || d.kind === 'AuthorizationPolicy' || d.kind === 'RequestAuthentication') {
        this.#selector((d.spec as PeerAuthenticationSpec | AuthorizationPolicySpec | RequestAuthenticationSpec).selector?.matchLabels, d);
      } else if (d.kind === 'Canary') {
        this.#templateRefs(d);
        this.#providerRefs(d);
        const ref = this.#resolve((d.spec as CanarySpec).targetRef.name, d.namespace, 'spec.targetRef.name', d);
        if (!ref) continue;
        const key = serviceKey(ref);
        const vs = routed.get(key);
        const other = canaries.get(key);
        if (other) d.r.report('MESH_ERR_HOST_CONFLICT', 'spec.targetRef.name', `Canary "${other.name}" already targets ${key}; this one is disabled`);
        else if (vs) d.r.report('MESH_ERR_HOST_CONFLICT', 'spec.targetRef.name', `VirtualService "${vs.name}" already routes ${key}; a Canary owns its target's routing (as Flagger does): move the routes into spec.service or remove the VirtualService`);
        else canaries.set(key, d);
      } else if (d.kind === 'Telemetry') {
        this.#telemetry(d);
      } else if (d.kind === 'Mesh') {
        ((d.spec as MeshSettingsSpec).rateLimits ?? []).forEach((l, i) => this.#resolve(l.service, d.namespace, `spec.rateLimits[${i}].service`, d));
      }
    }
  }

  /**
   * Istio's Telemetry scopes: a selector in the root namespace is ignored; one selector-less
   * Telemetry per namespace (the first in file order applies, as Istio's oldest).
   */
  #telemetry(d: LoadedDoc): void {
    const selector = (d.spec as TelemetrySpec).selector;
    if (hasSelector(selector)) {
      if (d.namespace === ROOT_NAMESPACE) {
        d.r.report('MESH_WARN_UNSUPPORTED_VALUE', 'spec.selector', `a selector in the root namespace ${ROOT_NAMESPACE} is ignored, as in Istio: this Telemetry applies to no workload (put it in the workloads' namespace)`);
      } else this.#selector(selector!.matchLabels, d);
      return;
    }
    const first = this.#docs.find((o) => o.kind === 'Telemetry' && o.namespace === d.namespace && !hasSelector((o.spec as TelemetrySpec).selector));
    if (first && first !== d) {
      d.r.report('MESH_WARN_UNSUPPORTED_VALUE', 'metadata.name', `Telemetry "${first.name}" is already the ${d.namespace === ROOT_NAMESPACE ? 'mesh-wide' : `namespace-wide (${d.namespace})`} Telemetry; only the first in file order applies (Istio takes the oldest)`);
    }
  }

  /** Each alert's providerRef should name an AlertProvider of the meshfile (namespace: the Canary's by default). */
  #providerRefs(d: LoadedDoc): void {
    ((d.spec as CanarySpec).analysis.alerts ?? []).forEach((a, i) => {
      const namespace = a.providerRef.namespace || d.namespace;
      if (this.#docs.some((t) => t.kind === 'AlertProvider' && t.name === a.providerRef.name && t.namespace === namespace)) return;
      const known = this.#docs.filter((t) => t.kind === 'AlertProvider').map((t) => `${t.namespace}/${t.name}`);
      d.r.report('MESH_WARN_UNKNOWN_PROVIDER', `spec.analysis.alerts[${i}].providerRef.name`, `no AlertProvider "${a.providerRef.name}" in namespace "${namespace}" (AlertProviders: ${known.join(', ') || 'none'}); alert "${a.name}" is not sent`);
    });
  }

  /** Each metric's templateRef must name a MetricTemplate of the meshfile (namespace: the Canary's by default). */
  #templateRefs(d: LoadedDoc): void {
    ((d.spec as CanarySpec).analysis.metrics ?? []).forEach((m, i) => {
      if (!m.templateRef) return;
      const namespace = m.templateRef.namespace || d.namespace;
      if (this.#docs.some((t) => t.kind === 'MetricTemplate' && t.name === m.templateRef!.name && t.namespace === namespace)) return;
      const known = this.#docs.filter((t) => t.kind === 'MetricTemplate').map((t) => `${t.namespace}/${t.name}`);
      d.r.report('MESH_ERR_UNKNOWN_TEMPLATE', `spec.analysis.metrics[${i}].templateRef.name`, `no MetricTemplate "${m.templateRef.name}" in namespace "${namespace}" (MetricTemplates: ${known.join(', ') || 'none'})`);
    });
  }

  /** Resolves a host; with a context, an unknown host is an error that disables the document. */
  #resolve(host: string, namespace: string, path: string, d: LoadedDoc): ServiceRef | undefined {
    const ref = this.#lookup(host, namespace);
    if (!ref && this.#ctx) {
      const known = this.#ctx.services.map((s) => s.name).sort();
      d.r.report('MESH_ERR_UNKNOWN_HOST', path, `host "${host}" names no service of the project (services: ${known.join(', ') || 'none'})`);
    }
    return ref;
  }

  #duplicateNames(): void {
    const seen = new Map<string, LoadedDoc>();
    let mesh: LoadedDoc | undefined;
    for (const d of this.#docs) {
      if (d.kind === 'Mesh') {
        if (mesh) d.r.report('MESH_ERR_DUPLICATE_NAME', 'kind', `only one Mesh document is allowed (the first is "${mesh.name}")`);
        mesh ??= d;
        continue;
      }
      const key = `${d.kind}/${d.namespace}/${d.name}`;
      if (seen.has(key)) d.r.report('MESH_ERR_DUPLICATE_NAME', 'metadata.name', `${d.kind} "${d.name}" is already defined in namespace "${d.namespace}"`);
      else seen.set(key, d);
    }
  }

  #destinationRules(): void {
    const owners = new Map<string, LoadedDoc[]>();
    for (const d of this.#docs) {
      if (d.kind !== 'DestinationRule') continue;
      const spec = d.spec as DestinationRuleSpec;
      const ref = this.#resolve(spec.host, d.namespace, 'spec.host', d);
      if (!ref) continue;
      const key = serviceKey(ref);
      // Per host, one rule without a workloadSelector for each step of a client's lookup (its own
      // namespace, then what the host's and the root namespace export to it); rules with one select clients.
      if (!hasSelector(spec.workloadSelector)) {
        const scope = exportScope(spec.exportTo, d.namespace);
        const list = owners.get(key) ?? [];
        const first = list.find((o) => o.namespace === d.namespace && destinationRulesTie(exportScope((o.spec as DestinationRuleSpec).exportTo, o.namespace), scope, d.namespace));
        if (first) {
          d.r.report('MESH_ERR_HOST_CONFLICT', 'spec.host', `DestinationRule "${first.name}" already configures ${key} for the same clients; this one is disabled (exportTo can split them by namespace; a DestinationRule with a workloadSelector may configure it for some clients)`);
          continue;
        }
        owners.set(key, [...list, d]);
        this.#reachesNoClient(d, ref, scope);
      }
      // A subset any of the host's rules defines can be routed to (the first definition is checked).
      let subsets = this.#subsets.get(key);
      if (!subsets) this.#subsets.set(key, (subsets = new Map()));
      const labelSets = this.#labelSets(ref);
      (spec.subsets ?? []).forEach((s, i) => {
        if (!subsets.has(s.name)) subsets.set(s.name, s.labels ?? {});
        if (labelSets && !labelSets.some((l) => labelsMatch(s.labels, l))) {
          d.r.report('MESH_WARN_EMPTY_SUBSET', `spec.subsets[${i}].labels`, `no container of ${ref.name} has the labels ${JSON.stringify(s.labels ?? {})} (yet)`);
        }
      });
    }
  }

  /**
   * A DestinationRule without a selector that no client's lookup reaches: one outside the host's and
   * the root namespace applies to clients of its own namespace only (Istio's lookup path).
   */
  #reachesNoClient(d: LoadedDoc, ref: ServiceRef, scope: ExportScope): void {
    if (d.namespace === ref.namespace || d.namespace === ROOT_NAMESPACE) return;
    const why = `a DestinationRule outside the host's namespace ("${ref.namespace}") and ${ROOT_NAMESPACE} applies to clients in its own namespace only`;
    if (!destinationRuleLocal(scope, d.namespace)) {
      d.r.report('MESH_WARN_NOT_VISIBLE', 'spec.exportTo', `${why}, and exportTo leaves "${d.namespace}" out: no client uses it`);
    } else if (this.#ctx && !this.#ctx.services.some((s) => s.namespace === d.namespace)) {
      d.r.report('MESH_WARN_NOT_VISIBLE', 'metadata.namespace', `${why}, and no workload is in namespace "${d.namespace}" (yet)`);
    }
  }

  #labelSets(ref: ServiceRef): Array<Record<string, string>> | undefined {
    return this.#ctx?.services.find((s) => s.name === ref.name && s.namespace === ref.namespace)?.labelSets;
  }

  #destination(dest: DestinationSpec, path: string, d: LoadedDoc): void {
    const ref = this.#resolve(dest.host, d.namespace, `${path}.host`, d);
    if (!ref || dest.subset === undefined) return;
    const labels = this.#subsets.get(serviceKey(ref))?.get(dest.subset);
    if (labels === undefined) {
      d.r.report('MESH_ERR_UNDEFINED_SUBSET', `${path}.subset`, `subset "${dest.subset}" of ${ref.name} is not defined by any DestinationRule for that host`);
      return;
    }
    const labelSets = this.#labelSets(ref);
    if (labelSets && !labelSets.some((l) => labelsMatch(labels, l))) {
      d.r.report('MESH_ERR_UNKNOWN_SUBSET', `${path}.subset`, `no container of ${ref.name} has the labels of subset "${dest.subset}" ${JSON.stringify(labels)}`);
    }
  }

  /** Checks VirtualServices; returns which one routes each service. */
  #virtualServices(): Map<string, LoadedDoc> {
    const owner = new Map<string, LoadedDoc>();
    const routes = new Map<string, LoadedDoc[]>();
    const delegated = new Set<LoadedDoc>();
    for (const d of this.#docs) {
      if (d.kind !== 'VirtualService') continue;
      const spec = d.spec as VirtualServiceSpec;
      if (gatewayOnly(spec)) continue;
      (spec.hosts ?? []).forEach((h, i) => {
        const ref = this.#resolve(h, d.namespace, `spec.hosts[${i}]`, d);
        if (!ref) return;
        const key = serviceKey(ref);
        const scope = exportScope(spec.exportTo, d.namespace);
        const tie = (routes.get(key) ?? []).find((o) => o !== d && virtualServicesTie(exportScope((o.spec as VirtualServiceSpec).exportTo, o.namespace), o.namespace, scope, d.namespace));
        if (tie) d.r.report('MESH_ERR_HOST_CONFLICT', `spec.hosts[${i}]`, `VirtualService "${tie.name}" already routes ${key} for the same clients; this one is disabled (merge the routes into one VirtualService, or give each its namespaces with exportTo)`);
        else {
          routes.set(key, [...(routes.get(key) ?? []), d]);
          if (!owner.has(key)) owner.set(key, d);
        }
      });
      (spec.http ?? []).forEach((h, i) => {
        if (h.delegate && !isDelegate(spec)) this.#delegation(d, h, `spec.http[${i}]`, delegated);
        (h.route ?? []).forEach((rd, j) => this.#destination(rd.destination, `spec.http[${i}].route[${j}].destination`, d));
        if (h.mirror) this.#destination(h.mirror, `spec.http[${i}].mirror`, d);
        (h.mirrors ?? []).forEach((m, j) => this.#destination(m.destination, `spec.http[${i}].mirrors[${j}].destination`, d));
      });
      (spec.tls ?? []).forEach((t, i) => (t.route ?? []).forEach((rd, j) => this.#destination(rd.destination, `spec.tls[${i}].route[${j}].destination`, d)));
      (spec.tcp ?? []).forEach((t, i) => (t.route ?? []).forEach((rd, j) => this.#destination(rd.destination, `spec.tcp[${i}].route[${j}].destination`, d)));
    }
    for (const d of this.#docs) {
      if (d.kind === 'VirtualService' && isDelegate(d.spec as VirtualServiceSpec) && !delegated.has(d)) {
        d.r.report('MESH_WARN_DELEGATE', 'spec', 'a VirtualService without hosts is a delegate, and no root VirtualService delegates to it (http[].delegate): it has no effect', 'key');
      }
    }
    return owner;
  }

  /**
   * A root route's delegate: it must be a VirtualService without hosts exported to the root's
   * namespace (else pilot drops the route), and each of its routes must match within the root
   * route's match (else pilot leaves that route out).
   */
  #delegation(d: LoadedDoc, h: HttpRouteSpec, p: string, delegated: Set<LoadedDoc>): void {
    const key = delegateKey(h, d.namespace);
    const target = this.#docs.find((o) => o.kind === 'VirtualService' && `${o.namespace}/${o.name}` === key);
    const spec = target?.spec as VirtualServiceSpec | undefined;
    if (!target || !spec || !isDelegate(spec)) {
      const why = target ? 'has hosts (a delegate has none)' : 'is not in the meshfile';
      d.r.report('MESH_WARN_DELEGATE', `${p}.delegate`, `VirtualService ${key} ${why}: this route is left out`);
      return;
    }
    delegated.add(target);
    if (!exportedToRoot({ namespace: target.namespace, spec }, d.namespace)) {
      d.r.report('MESH_WARN_DELEGATE', `${p}.delegate`, `VirtualService ${key} is not exported to namespace "${d.namespace}" (its exportTo): this route is left out`);
      return;
    }
    (spec.http ?? []).forEach((leaf, j) => {
      if (mergeHttpRoute(h, leaf) === undefined) {
        target.r.report('MESH_WARN_DELEGATE', `spec.http[${j}].match`, `this route matches requests outside route ${p.slice('spec.'.length)} of VirtualService ${d.namespace}/${d.name} that delegates to it: it is left out there`);
      }
    });
  }

  #selector(matchLabels: Readonly<Record<string, string>> | undefined, d: LoadedDoc): void {
    if (!this.#ctx || !matchLabels) return;
    const any = this.#ctx.services.some((s) => s.namespace === d.namespace && s.labelSets.some((l) => labelsMatch(matchLabels, l)));
    if (!any) d.r.report('MESH_WARN_SELECTOR_MATCHES_NOTHING', 'spec.selector.matchLabels', `no workload in namespace "${d.namespace}" has the labels ${JSON.stringify(matchLabels)} (yet)`);
  }
}
