// Types of the undici files agent/undici-lean.ts loads directly (they ship without their own).
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolImpl: typeof Pool;
  export default PoolImpl;
}
