import type { TcpRouteSnapshot } from '../../wire/types.ts';
import type { Cluster } from '../cluster.ts';
import { sourceApplies } from './http-match.ts';
import type { RouteBuildContext, RoutableService } from './http-route.ts';

interface TcpTarget {
  service: RoutableService | undefined;
  subset: string;
  port: number | undefined;
  weight: number;
}

interface CompiledTcpRoute {
  /** Ports the route applies to; null: any. */
  ports: ReadonlySet<number> | null;
  targets: TcpTarget[];
  total: number;
}

/**
 * A service's VirtualService TCP routes (opaque TCP), compiled once per snapshot: first route whose
 * match applies wins; match blocks are ORed, `port` compares the destination port, `sourceLabels`
 * and `sourceNamespace` are decided at build time against the agent's workload. `destinationSubnets` needs the connection's
 * original destination address, which the agent does not know (its listeners are per service
 * port): a block naming subnets never matches, and the route is reported.
 */
export class TcpRouter {
  readonly #routes: CompiledTcpRoute[] = [];

  constructor(routes: readonly TcpRouteSnapshot[], ctx: RouteBuildContext) {
    routes.forEach((r, i) => {
      let ports: Set<number> | null = null;
      if (r.match.length > 0) {
        const kept = r.match.filter((m) => sourceApplies(ctx.self, m) && !m.destinationSubnets?.length);
        if (r.match.some((m) => m.destinationSubnets?.length)) ctx.problem(`tcp route ${i}: destinationSubnets cannot be matched by the agent`);
        if (kept.length === 0) return;
        if (!kept.some((m) => m.port === undefined)) ports = new Set(kept.map((m) => m.port!));
      }
      const targets = r.route.map((w) => ({
        service: ctx.service(`${w.destination.service}.${w.destination.namespace}`),
        subset: w.destination.subset ?? '',
        port: w.destination.port,
        weight: Math.max(0, w.weight),
      }));
      this.#routes.push({ ports, targets, total: targets.reduce((n, t) => n + t.weight, 0) });
    });
  }

  /**
   * The cluster a connection to `port` goes to: null when no route matches (the connection is
   * refused, flag NR), undefined when the chosen destination has no such cluster (UH).
   */
  pick(port: number): Cluster | undefined | null {
    for (const r of this.#routes) {
      if (r.ports && !r.ports.has(port)) continue;
      let t = r.targets[0];
      if (r.targets.length > 1) {
        let x = Math.random() * r.total;
        for (const c of r.targets) if ((x -= c.weight) < 0) { t = c; break; }
      }
      if (!t) return null;
      return t.service?.clusters.get(t.subset)?.get(t.port ?? port);
    }
    return null;
  }
}
