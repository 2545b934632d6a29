import type { DestinationSnapshot, HttpMatchSnapshot, HttpRouteSnapshot, RateLimitSnapshot, RetryPolicySnapshot, WeightedDestinationSnapshot } from '../../wire/types.ts';
import type { Cluster } from '../cluster.ts';
import type { Dispatch } from '../dispatch/dispatch.ts';
import { FaultInjection } from '../resilience/fault-injection.ts';
import { RetryRule } from '../resilience/retry-rule.ts';
import type { TokenBucket } from '../resilience/token-bucket.ts';
import { HeaderOperations } from './header-operations.ts';
import { compileHttpMatch, type MatchPredicate, type MatchSelf } from './http-match.ts';
import { compileUriRewrite, type UriRewriter } from './uri-rewrite.ts';

/** A destination service as routes see it: its clusters by subset ('' = all endpoints) and port. */
export interface RoutableService {
  name: string;
  namespace: string;
  clusters: Map<string, Map<number, Cluster>>;
}

/** What compiling routes needs from the table being built. */
export interface RouteBuildContext {
  /** The agent's own workload: its labels and namespace (source matches). */
  self: MatchSelf;
  /** The service of a destination, by `name.namespace`. */
  service(key: string): RoutableService | undefined;
  /** The composed policy chain of a route towards one cluster. */
  chain(cluster: Cluster, timeoutMs: number, retry: RetryRule): Dispatch;
  /** The chain of a mirror towards one cluster (balancer and pool only, bounded by a timeout). */
  mirrorChain(cluster: Cluster): Dispatch;
  /** The rate-limit bucket kept under `key` (the route's, within its service). */
  bucket(key: string, config: RateLimitSnapshot): TokenBucket;
  /** Key of the service whose routes are being compiled. */
  scope: string;
  problem(text: string): void;
}

/** One weighted destination of a route, with its chains per port. */
export interface RouteTarget {
  service: RoutableService | undefined;
  /** Name for logs, even when unknown. */
  serviceName: string;
  subset: string;
  /** Fixed destination port; undefined: the request's port. */
  port: number | undefined;
  /** Policy chain and cluster per port; a missing port has no endpoints (503 UH). */
  chains: Map<number, { cluster: Cluster; dispatch: Dispatch }>;
  /** The subset (or service) is not known: 503 with flag NC, as Envoy answers for a missing cluster. */
  missing: boolean;
  requestHeaders: HeaderOperations | undefined;
  responseHeaders: HeaderOperations | undefined;
}

/** One mirror of a route. */
export interface MirrorTarget {
  target: RouteTarget;
  percent: number;
}

function target(d: DestinationSnapshot, weight: WeightedDestinationSnapshot | undefined, ctx: RouteBuildContext, dispatch: (c: Cluster) => Dispatch): RouteTarget {
  const service = ctx.service(`${d.service}.${d.namespace}`);
  const subset = d.subset ?? '';
  const byPort = service?.clusters.get(subset);
  const chains = new Map<number, { cluster: Cluster; dispatch: Dispatch }>();
  for (const [port, cluster] of byPort ?? []) {
    if (d.port === undefined || d.port === port) chains.set(port, { cluster, dispatch: dispatch(cluster) });
  }
  if (!byPort) ctx.problem(`destination ${d.service}.${d.namespace}${subset ? ` subset ${subset}` : ''} is not known`);
  return {
    service,
    serviceName: d.service,
    subset,
    port: d.port,
    chains,
    missing: byPort === undefined,
    requestHeaders: HeaderOperations.of(weight?.headers?.request),
    responseHeaders: HeaderOperations.of(weight?.headers?.response),
  };
}

/**
 * One VirtualService HTTP route, compiled once per snapshot: its match predicates, its action
 * (weighted destinations, redirect, or direct response), rewrites, header operations, fault, mirrors,
 * and per destination the composed policy chain (timeout and retries of the route over each
 * destination cluster). With a fault on the route, timeout and retries are off (Istio).
 */
export class HttpRoute {
  readonly name: string;
  /** null: matches every request. */
  readonly matches: ReadonlyArray<{ test: MatchPredicate; spec: HttpMatchSnapshot }> | null;
  readonly targets: readonly RouteTarget[];
  readonly #cumulative: number[];
  readonly #total: number;
  readonly redirect: HttpRouteSnapshot['redirect'];
  readonly directResponse: HttpRouteSnapshot['directResponse'];
  readonly rewriteUri: UriRewriter | undefined;
  readonly rewriteAuthority: string | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryRule;
  readonly fault: FaultInjection | undefined;
  readonly mirrors: readonly MirrorTarget[];
  readonly requestHeaders: HeaderOperations | undefined;
  readonly responseHeaders: HeaderOperations | undefined;
  /** Local rate limit of this route alone. */
  readonly rateLimit: TokenBucket | undefined;

  constructor(r: HttpRouteSnapshot, index: number, ctx: RouteBuildContext, matches: HttpRoute['matches']) {
    this.name = r.name ?? `route-${index}`;
    this.matches = matches;
    this.fault = r.fault ? new FaultInjection(r.fault) : undefined;
    this.timeoutMs = this.fault ? 0 : (r.timeoutMs ?? 0);
    this.retry = this.fault ? RetryRule.NONE : new RetryRule(r.retries);
    this.redirect = r.redirect;
    this.directResponse = r.directResponse;
    this.rewriteUri = compileUriRewrite(r.rewrite);
    this.rewriteAuthority = r.rewrite?.authority;
    const chain = (c: Cluster) => ctx.chain(c, this.timeoutMs, this.retry);
    this.targets = r.redirect || r.directResponse ? [] : (r.route ?? []).map((w) => target(w.destination, w, ctx, chain));
    let sum = 0;
    this.#cumulative = this.targets.map((_, i) => (sum += Math.max(0, r.route![i]!.weight)));
    this.#total = sum;
    this.mirrors = (r.mirrors ?? []).map((m) => ({ target: target(m.destination, undefined, ctx, (c) => ctx.mirrorChain(c)), percent: m.percent }));
    this.requestHeaders = HeaderOperations.of(r.headers?.request);
    this.responseHeaders = HeaderOperations.of(r.headers?.response);
    this.rateLimit = r.rateLimit ? ctx.bucket(`${ctx.scope}/${this.name}`, r.rateLimit) : undefined;
  }

  /**
   * Compiles a route, or returns null when no match block can apply to this agent (every block
   * has `sourceLabels` the agent's workload does not carry, or another `sourceNamespace`).
   */
  static compile(r: HttpRouteSnapshot, index: number, ctx: RouteBuildContext): HttpRoute | null {
    let matches: HttpRoute['matches'] = null;
    if (r.match.length > 0) {
      const kept: Array<{ test: MatchPredicate; spec: HttpMatchSnapshot }> = [];
      for (const m of r.match) {
        const test = compileHttpMatch(m, ctx.self, (reason) => ctx.problem(`route ${r.name ?? index}: ${reason}`));
        if (test) kept.push({ test, spec: m });
      }
      if (kept.length === 0) return null;
      const trivial = (m: HttpMatchSnapshot) => Object.keys(m).every((k) => k === 'name' || k === 'sourceLabels' || k === 'sourceNamespace');
      matches = kept.some((k) => trivial(k.spec)) ? null : kept;
    }
    return new HttpRoute(r, index, ctx, matches);
  }

  /** The route for requests a service gets when no VirtualService routes it (Istio's default route). */
  static defaultFor(service: RoutableService, ctx: RouteBuildContext, retries: RetryPolicySnapshot): HttpRoute {
    return new HttpRoute({ match: [], route: [{ destination: { service: service.name, namespace: service.namespace }, weight: 100 }], retries }, 0, ctx, null);
  }

  /** Draws one destination by weight. */
  pickTarget(): RouteTarget | undefined {
    const t = this.targets;
    if (t.length <= 1) return t[0];
    const r = Math.random() * this.#total;
    for (let i = 0; i < t.length; i++) if (r < this.#cumulative[i]!) return t[i];
    return t[t.length - 1];
  }
}
