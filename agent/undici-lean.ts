/**
 * The parts of undici the agent uses, loaded from undici's own files instead of its index: the
 * index also loads fetch, WebSocket, EventSource, the caches and the mocks, none of which the agent
 * needs. Measured on Node 20 (idle process, after a GC): `require('undici')` 62.9 MB RSS and 7.7 MB
 * heap; `lib/dispatcher/pool.js` alone 53.4 MB and 4.5 MB. Types still come from undici's index.
 */
import type { Pool as PoolType } from 'undici';
import PoolImpl from 'undici/lib/dispatcher/pool.js';

export const Pool: typeof PoolType = PoolImpl;

