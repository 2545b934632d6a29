import type { Dispatcher } from 'undici';
import type { UpstreamPools } from '../upstream-pools.ts';
import { DETACHED, type Dispatch } from './dispatch.ts';

/**
 * The connection pool: sends the attempt on the undici keep-alive pool the balancer layer chose for
 * it (the endpoint's, HTTP/1.1 or h2c), with a fresh replay of the request body.
 */
export function poolLayer(pools: UpstreamPools): Dispatch {
  return (call, handler) => {
    const options: Dispatcher.DispatchOptions = {
      path: call.upstreamPath,
      method: call.method as Dispatcher.HttpMethod,
      headers: call.attemptHeaders,
      // undici accepts async iterables at run time; its types only list Readable.
      body: call.body ? (call.body.stream() as unknown as Dispatcher.DispatchOptions['body']) : null,
    };
    try {
      pools.get(call.pool!).dispatch(options, handler as Dispatcher.DispatchHandler);
    } catch (err) {
      handler.onResponseError(DETACHED, err as Error);
    }
  };
}
