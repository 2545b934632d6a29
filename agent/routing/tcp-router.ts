import type { TcpRouteSnapshot, TlsRouteSnapshot, WeightedDestinationSnapshot } from '../../wire/types.ts';
import { sniMatches } from './client-hello.ts';
import type { Cluster } from '../cluster.ts';
import { sourceApplies } from './http-match.ts';
import type { RouteBuildContext, RoutableService } from './http-route.ts';

interface TcpTarget {
  service: RoutableService | undefined;
  subset: string;
  port: number | undefined;
  weight: number;
}

/** A route's weighted destinations. */
interface WeightedTargets {
  targets: TcpTarget[];
  total: number;
}

interface CompiledTcpRoute extends WeightedTargets {
  /** Ports the route applies to; null: any. */
  ports: ReadonlySet<number> | null;
}

/**
 * The match blocks of an L4 route that can apply to this agent: `sourceLabels` and `sourceNamespace`
 * decided against its workload; a block naming `destinationSubnets` never matches (the agent's
 * listeners are per service port, it does not know the original destination), and is reported.
 */
function applicableBlocks<M extends { destinationSubnets?: string[]; sourceLabels?: Record<string, string>; sourceNamespace?: string }>(kind: string, i: number, match: readonly M[], ctx: RouteBuildContext): M[] {
  if (match.some((m) => m.destinationSubnets?.length)) ctx.problem(`${kind} route ${i}: destinationSubnets cannot be matched by the agent`);
  return match.filter((m) => sourceApplies(ctx.self, m) && !m.destinationSubnets?.length);
}

/**
 * A service's VirtualService TCP routes (opaque TCP), compiled once per snapshot: first route whose
 * match applies wins; match blocks are ORed (those that can apply here: {@link applicableBlocks}),
 * `port` compares the destination port.
 */
export class TcpRouter {
  readonly #routes: CompiledTcpRoute[] = [];

  constructor(routes: readonly TcpRouteSnapshot[], ctx: RouteBuildContext) {
    routes.forEach((r, i) => {
      let ports: Set<number> | null = null;
      if (r.match.length > 0) {
        const kept = applicableBlocks('tcp', i, r.match, ctx);
        if (kept.length === 0) return;
        if (!kept.some((m) => m.port === undefined)) ports = new Set(kept.map((m) => m.port!));
      }
      this.#routes.push({ ports, ...targetsOf(r.route, ctx) });
    });
  }

  /**
   * The cluster a connection to `port` goes to: null when no route matches (the connection is
   * refused, flag NR), undefined when the chosen destination has no such cluster (UH).
   */
  pick(port: number): Cluster | undefined | null {
    for (const r of this.#routes) {
      if (r.ports && !r.ports.has(port)) continue;
      return pickTarget(r, port);
    }
    return null;
  }
}

/** A route's weighted destinations, resolved against the table's services. */
function targetsOf(route: readonly WeightedDestinationSnapshot[], ctx: RouteBuildContext): WeightedTargets {
  const targets = route.map((w) => ({
    service: ctx.service(`${w.destination.service}.${w.destination.namespace}`),
    subset: w.destination.subset ?? '',
    port: w.destination.port,
    weight: Math.max(0, w.weight),
  }));
  return { targets, total: targets.reduce((n, t) => n + t.weight, 0) };
}

/** One destination of a matched route by weight, and its cluster for `port` (see TcpRouter.pick). */
function pickTarget(r: WeightedTargets, port: number): Cluster | undefined | null {
  let t = r.targets[0];
  if (r.targets.length > 1) {
    let x = Math.random() * r.total;
    for (const c of r.targets) if ((x -= c.weight) < 0) { t = c; break; }
  }
  if (!t) return null;
  return t.service?.clusters.get(t.subset)?.get(t.port ?? port);
}

interface CompiledTlsRoute extends WeightedTargets {
  /** The match blocks that apply to this agent: ORed; each names its server names and maybe a port. */
  blocks: Array<{ sniHosts: readonly string[]; port: number | undefined }>;
}

/**
 * A service's VirtualService TLS routes (opaque TLS by server name), compiled once per snapshot: the
 * first route with a match block whose `sniHosts` has the ClientHello's server name (and whose
 * `port`, if set, is the destination port) wins. `sourceLabels`, `sourceNamespace` and
 * `destinationSubnets` are decided as for TCP routes.
 */
export class TlsRouter {
  readonly #routes: CompiledTlsRoute[] = [];

  constructor(routes: readonly TlsRouteSnapshot[], ctx: RouteBuildContext) {
    routes.forEach((r, i) => {
      const blocks = applicableBlocks('tls', i, r.match, ctx).map((m) => ({ sniHosts: m.sniHosts, port: m.port }));
      if (blocks.length > 0) this.#routes.push({ blocks, ...targetsOf(r.route, ctx) });
    });
  }

  /**
   * The cluster a TLS connection to `port` with server name `sni` goes to: null when no TLS route
   * matches (the TCP routes decide), undefined when the chosen destination has no such cluster (UH).
   */
  pick(port: number, sni: string): Cluster | undefined | null {
    for (const r of this.#routes) {
      if (r.blocks.some((b) => (b.port === undefined || b.port === port) && sniMatches(sni, b.sniHosts))) return pickTarget(r, port);
    }
    return null;
  }
}
