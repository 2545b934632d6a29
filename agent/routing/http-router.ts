import type { HttpRouteSnapshot } from '../../wire/types.ts';
import { HttpRoute, type RouteBuildContext } from './http-route.ts';
import type { RequestFacts } from './request-facts.ts';

/**
 * A service's VirtualService HTTP routes, compiled once per snapshot: routes in order, first match
 * wins; within a route the match blocks are ORed. Routes that cannot apply to this agent
 * (sourceLabels) are dropped at build time.
 */
export class HttpRouter {
  readonly routes: readonly HttpRoute[];

  constructor(routes: readonly HttpRouteSnapshot[], ctx: RouteBuildContext) {
    const out: HttpRoute[] = [];
    routes.forEach((r, i) => {
      const c = HttpRoute.compile(r, i, ctx);
      if (c) out.push(c);
    });
    this.routes = out;
  }

  /**
   * The first route matching `req`; undefined: no route (404 NR). Records the match block that
   * selected it in `req.matched` (prefix rewrites need it).
   */
  match(req: RequestFacts): HttpRoute | undefined {
    for (const route of this.routes) {
      const ms = route.matches;
      if (ms === null) {
        req.matched = undefined;
        return route;
      }
      for (let i = 0; i < ms.length; i++) {
        if (ms[i]!.test(req)) {
          req.matched = ms[i]!.spec;
          return route;
        }
      }
    }
    return undefined;
  }
}
