import type { Cluster } from '../cluster.ts';
import type { RetryRule } from '../resilience/retry-rule.ts';
import { balancerLayer, type BalancerEvents } from './balancer-layer.ts';
import { breakerLayer, type BreakerEvents } from './breaker-layer.ts';
import type { Dispatch } from './dispatch.ts';
import { retryLayer, type RetryEvents } from './retry-layer.ts';
import { timeoutLayer } from './timeout-layer.ts';

/** Everything the policies report (the agent's dockmesh_* metrics). */
export interface TrafficEvents extends RetryEvents, BreakerEvents, BalancerEvents {}

/**
 * The one place the data path's policies are put together, at snapshot time, for one (route,
 * destination cluster) pair, in this fixed order from the outside in:
 *
 *   timeout → retry → circuit breaker → balancer → connection pool
 *
 * so the route timeout spans every retry, each retry passes the breaker again and picks its own
 * endpoint, and the pool only ever sees single attempts. A policy with nothing to do is left out of
 * the chain (no timeout on the route, no retries, no connection-pool limits), which keeps the
 * default route as short as it can be.
 */
export function composeDispatch(timeoutMs: number, retry: RetryRule, cluster: Cluster, pool: Dispatch, events: TrafficEvents): Dispatch {
  let d = balancerLayer(cluster, pool, events, retry.ignorePreviousHosts);
  if (!cluster.state.breaker.unlimited) d = breakerLayer(cluster, d, events);
  if (retry.attempts > 0) d = retryLayer(retry, cluster, d, events);
  if (timeoutMs > 0) d = timeoutLayer(timeoutMs, d);
  return d;
}
