/**
 * The parts of undici the agent uses, loaded from undici's own files instead of its index: the
 * index also loads fetch, WebSocket, EventSource, the caches and the mocks, none of which the agent
 * needs. Measured on Node 20 (idle process, after a GC): `require('undici')` 62.9 MB RSS and 7.7 MB
 * heap; `lib/dispatcher/pool.js` alone 53.4 MB and 4.5 MB. Types still come from undici's index.
 */
import type { Dispatcher, Pool as PoolType } from 'undici';
import PoolImpl from 'undici/lib/dispatcher/pool.js';
import requestImpl from 'undici/lib/api/api-request.js';

export const Pool: typeof PoolType = PoolImpl;

/** undici's `request` API on a given dispatcher (the index adds it to Dispatcher.prototype; we do not load the index). */
export function requestOn(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestImpl.call(dispatcher, opts);
}
