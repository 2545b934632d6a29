/**
 * Pure: MeshSpec + one logical service → the routing part of its ServiceSnapshot (http, tcp,
 * subsets, policy, rateLimit), with Istio's defaults filled in and durations in milliseconds.
 * Only what is configured appears: a service no document mentions compiles to `{}` (the agent's
 * default route). Output is deterministic (same spec, same JSON) so content hashes only move when
 * the configuration does.
 */
import { durationMs } from '../meshfile/duration.ts';
import { serviceKey, type HostLookup, type ServiceRef } from '../meshfile/host-resolver.ts';
import type { MeshObject, MeshSpec, RateLimitSpec } from '../meshfile/mesh-spec.ts';
import { destinationRuleExports, destinationRuleLocal, exportScope, virtualServiceRank } from '../meshfile/export-to.ts';
import { ROOT_NAMESPACE } from '../meshfile/security-spec.ts';
import { gatewayOnly } from '../meshfile/virtual-service-checks.ts';
import type { DestinationRuleSpec } from '../meshfile/destination-rule-spec.ts';
import type { VirtualServiceSpec } from '../meshfile/virtual-service-spec.ts';
import type { CanarySpec } from '../meshfile/canary-spec.ts';
import type { RateLimitSnapshot, ServiceSnapshot } from '../../wire/types.ts';
import { compileCanaryRoutes, PRIMARY_ONLY, type CanaryRouting } from './canary-routes.ts';
import { compileHttpRoute, compileTcpRoute, compileTlsRoute } from './http-route.ts';
import { compileTrafficPolicy } from './traffic-policy.ts';
import { hasSelector, labelsMatch, type PolicyTarget } from './workload-selector.ts';

/** The routing part of a ServiceSnapshot. */
export type ServiceRoutesSnapshot = Pick<ServiceSnapshot, 'http' | 'tls' | 'tcp' | 'subsets' | 'policy' | 'rateLimit'>;

/** The service being compiled (the registry's view of it). */
export interface RouteTarget {
  name: string;
  namespace: string;
  hosts: readonly string[];
}

/** Which documents apply to which service, resolved once per (spec, lookup). */
export interface MeshIndex {
  /** Every VirtualService of each service, in file order; which one a client takes depends on exportTo. */
  virtualServices: Map<string, MeshObject<VirtualServiceSpec>[]>;
  /** Every DestinationRule of each service (with a workloadSelector or not), in file order. */
  destinationRules: Map<string, MeshObject<DestinationRuleSpec>[]>;
  rateLimit: Map<string, RateLimitSpec>;
  /** The Canary that owns a service's routing (its `targetRef`). */
  canary: Map<string, MeshObject<CanarySpec>>;
}

/** A Canary target's replicas and the routing its controller decided. */
export interface CanaryTargetState {
  routing: CanaryRouting;
  replicas: { primary: number; canary: number };
}

const UNIT_MS = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000 } as const;

const cache = new WeakMap<MeshSpec, WeakMap<HostLookup, MeshIndex>>();

/** Indexes a spec by service (first document wins, as the loader's conflict check reports). */
export function indexMeshSpec(spec: MeshSpec, lookup: HostLookup): MeshIndex {
  let byLookup = cache.get(spec);
  const hit = byLookup?.get(lookup);
  if (hit) return hit;
  const index: MeshIndex = { virtualServices: new Map(), destinationRules: new Map(), rateLimit: new Map(), canary: new Map() };
  const claim = <T>(map: Map<string, T>, ref: ServiceRef | undefined, value: T): void => {
    if (ref && !map.has(serviceKey(ref))) map.set(serviceKey(ref), value);
  };
  const add = <T>(map: Map<string, T[]>, ref: ServiceRef | undefined, value: T): void => {
    if (!ref) return;
    const list = map.get(serviceKey(ref));
    if (list) {
      if (!list.includes(value)) list.push(value);
    } else map.set(serviceKey(ref), [value]);
  };
  for (const vs of spec.virtualServices) {
    if (gatewayOnly(vs.spec)) continue;
    for (const h of vs.spec.hosts ?? []) add(index.virtualServices, lookup(h, vs.namespace), vs);
  }
  for (const c of spec.canaries) claim(index.canary, lookup(c.spec.targetRef.name, c.namespace), c);
  for (const dr of spec.destinationRules) add(index.destinationRules, lookup(dr.spec.host, dr.namespace), dr);
  const mesh = spec.mesh;
  for (const rl of mesh?.spec.rateLimits ?? []) claim(index.rateLimit, lookup(rl.service, mesh!.namespace), rl);
  if (!byLookup) cache.set(spec, (byLookup = new WeakMap()));
  byLookup.set(lookup, index);
  return index;
}

/** A local rate limit as a token bucket. */
export function compileRateLimit(rl: RateLimitSpec): RateLimitSnapshot {
  if (rl.requestsPerUnit !== undefined && rl.unit !== undefined) {
    return { maxTokens: rl.requestsPerUnit, tokensPerFill: rl.requestsPerUnit, fillIntervalMs: UNIT_MS[rl.unit] };
  }
  return { maxTokens: rl.maxTokens!, tokensPerFill: rl.tokensPerFill ?? rl.maxTokens!, fillIntervalMs: durationMs(rl.fillInterval!) };
}

/**
 * The VirtualService a client in `clientNs` takes for a service (pilot's order for sidecars): one
 * private to the client's namespace, else one exported to it by name, else a public one; the first
 * in file order within a rank (the meshfile check disables ties).
 */
export function virtualServiceFor(index: MeshIndex, key: string, clientNs: string): MeshObject<VirtualServiceSpec> | undefined {
  let best: MeshObject<VirtualServiceSpec> | undefined;
  let bestRank = 3;
  for (const vs of index.virtualServices.get(key) ?? []) {
    const rank = virtualServiceRank(exportScope(vs.spec.exportTo, vs.namespace), vs.namespace, clientNs);
    if (rank !== undefined && rank < bestRank) [best, bestRank] = [vs, rank];
  }
  return best;
}

/**
 * The DestinationRule a client applies to a service, as pilot resolves it: the rules of the first
 * step of the lookup path that has any (the client's own namespace; then the service's namespace,
 * the rules it exports to the client's; then the root namespace's likewise), and of those the first
 * whose `workloadSelector` selects the client (selectors apply in their own namespace only), else
 * the one without a selector (SidecarScope.DestinationRule). They are not merged.
 */
export function destinationRuleFor(index: MeshIndex, key: string, serviceNs: string, client: PolicyTarget): MeshObject<DestinationRuleSpec> | undefined {
  const rules = index.destinationRules.get(key) ?? [];
  const local = rules.filter((dr) => dr.namespace === client.namespace && destinationRuleLocal(exportScope(dr.spec.exportTo, dr.namespace), dr.namespace));
  const exportedFrom = (ns: string) =>
    rules.filter((dr) => {
      if (dr.namespace !== ns || dr.namespace === client.namespace) return false;
      const to = destinationRuleExports(exportScope(dr.spec.exportTo, dr.namespace), dr.namespace);
      return to === 'all' || (to?.has(client.namespace) ?? false);
    });
  const step = [local, exportedFrom(serviceNs), exportedFrom(ROOT_NAMESPACE)].find((s) => s.length > 0) ?? [];
  const selecting = step.find((dr) => hasSelector(dr.spec.workloadSelector) && dr.namespace === client.namespace && labelsMatch(dr.spec.workloadSelector, client.labels));
  return selecting ?? step.find((dr) => !hasSelector(dr.spec.workloadSelector));
}

/**
 * Compiles the routing of one service for a client (by default one in the service's namespace). A
 * service a Canary targets gets the Canary's routes (and its primary and canary subsets after the
 * DestinationRule's) at the weights `canary` gives, else at none (everything to the primary).
 */
export function compileServiceRoutes(
  spec: MeshSpec,
  service: RouteTarget,
  lookup: HostLookup,
  canary?: CanaryTargetState,
  client: PolicyTarget = { namespace: service.namespace, labels: {} },
): ServiceRoutesSnapshot {
  const index = indexMeshSpec(spec, lookup);
  const key = serviceKey(service);
  const out: ServiceRoutesSnapshot = {};
  const vs = virtualServiceFor(index, key, client.namespace);
  if (vs?.spec.http?.length) out.http = vs.spec.http.map((h) => compileHttpRoute(h, vs.namespace, lookup));
  if (vs?.spec.tls?.length) out.tls = vs.spec.tls.map((t) => compileTlsRoute(t, vs.namespace, lookup));
  if (vs?.spec.tcp?.length) out.tcp = vs.spec.tcp.map((t) => compileTcpRoute(t, vs.namespace, lookup));
  const dr = destinationRuleFor(index, key, service.namespace, client);
  if (dr) {
    const { policy, subsets } = compileTrafficPolicy(dr.spec);
    if (subsets) out.subsets = subsets;
    if (policy) out.policy = policy;
  }
  const c = index.canary.get(key);
  if (c) {
    const routes = compileCanaryRoutes(c, service, canary?.routing ?? PRIMARY_ONLY, canary?.replicas ?? { primary: 1, canary: 0 }, lookup, out.policy);
    out.http = routes.http;
    out.subsets = [...(out.subsets ?? []), ...routes.subsets];
  }
  const rl = index.rateLimit.get(key);
  if (rl) out.rateLimit = compileRateLimit(rl);
  return out;
}
