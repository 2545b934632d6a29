import type { H1DispatchOptions } from '../h1/h1-pool.ts';
import type { UpstreamPools } from '../upstream-pools.ts';
import { DETACHED, type Dispatch } from './dispatch.ts';

/**
 * The connection pool: sends the attempt on the keep-alive pool the balancer layer chose for it (the
 * endpoint's, HTTP/1.1 or h2c), with a fresh replay of the request body.
 */
export function poolLayer(pools: UpstreamPools): Dispatch {
  return (call, handler) => {
    const options: H1DispatchOptions = {
      path: call.upstreamPath,
      method: call.method,
      headers: call.attemptHeaders,
      body: call.body ? call.body.stream() : null,
    };
    try {
      pools.get(call.pool!).dispatch(options, handler);
    } catch (err) {
      handler.onResponseError(DETACHED, err as Error);
    }
  };
}
