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
  virtualService: Map<string, MeshObject<VirtualServiceSpec>>;
  /** The DestinationRule without a `workloadSelector` of each service (every client's). */
  destinationRule: Map<string, MeshObject<DestinationRuleSpec>>;
  /** DestinationRules with a `workloadSelector`, per service, in file order (the clients they select). */
  selectedDestinationRules: Map<string, MeshObject<DestinationRuleSpec>[]>;
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
  const index: MeshIndex = { virtualService: new Map(), destinationRule: new Map(), selectedDestinationRules: new Map(), rateLimit: new Map(), canary: new Map() };
  const claim = <T>(map: Map<string, T>, ref: ServiceRef | undefined, value: T): void => {
    if (ref && !map.has(serviceKey(ref))) map.set(serviceKey(ref), value);
  };
  for (const vs of spec.virtualServices) {
    if (gatewayOnly(vs.spec)) continue;
    for (const h of vs.spec.hosts ?? []) claim(index.virtualService, lookup(h, vs.namespace), vs);
  }
  for (const c of spec.canaries) claim(index.canary, lookup(c.spec.targetRef.name, c.namespace), c);
  for (const dr of spec.destinationRules) {
    const ref = lookup(dr.spec.host, dr.namespace);
    if (!hasSelector(dr.spec.workloadSelector)) claim(index.destinationRule, ref, dr);
    else if (ref) {
      const key = serviceKey(ref);
      const list = index.selectedDestinationRules.get(key);
      if (list) list.push(dr);
      else index.selectedDestinationRules.set(key, [dr]);
    }
  }
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
 * Compiles the routing of one service. A service a Canary targets gets the Canary's routes (and its
 * primary and canary subsets after the DestinationRule's) at the weights `canary` gives, else at
 * none (everything to the primary).
 */
/**
 * The DestinationRule a client applies to a service (pilot's SidecarScope.DestinationRule): the first
 * one in file order whose `workloadSelector` selects the client in the client's own namespace
 * (selectors do not cross namespaces), else the one without a selector. They are not merged.
 */
export function destinationRuleFor(index: MeshIndex, key: string, client: PolicyTarget | undefined): MeshObject<DestinationRuleSpec> | undefined {
  if (client) {
    for (const dr of index.selectedDestinationRules.get(key) ?? []) {
      if (dr.namespace === client.namespace && labelsMatch(dr.spec.workloadSelector, client.labels)) return dr;
    }
  }
  return index.destinationRule.get(key);
}

export function compileServiceRoutes(spec: MeshSpec, service: RouteTarget, lookup: HostLookup, canary?: CanaryTargetState, client?: PolicyTarget): ServiceRoutesSnapshot {
  const index = indexMeshSpec(spec, lookup);
  const key = serviceKey(service);
  const out: ServiceRoutesSnapshot = {};
  const vs = index.virtualService.get(key);
  if (vs?.spec.http?.length) out.http = vs.spec.http.map((h) => compileHttpRoute(h, vs.namespace, lookup));
  if (vs?.spec.tls?.length) out.tls = vs.spec.tls.map((t) => compileTlsRoute(t, vs.namespace, lookup));
  if (vs?.spec.tcp?.length) out.tcp = vs.spec.tcp.map((t) => compileTcpRoute(t, vs.namespace, lookup));
  const dr = destinationRuleFor(index, key, client);
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
