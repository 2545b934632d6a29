import type { Pool as UndiciPool } from 'undici';
import { DETACHED, type Handler } from './dispatch/dispatch.ts';
import { H1Pool, type H1DispatchOptions, type H1PoolOptions } from './h1/h1-pool.ts';
import type { MeshTls } from './mtls/mesh-tls.ts';
import { loadUndici, undici } from './undici-lazy.ts';

/** Which client speaks HTTP/1.1 upstream: the agent's own (agent/h1/, the default) or undici's. */
export type UpstreamClient = 'h1' | 'undici';

/** What the data path needs of a pool: undici's Pool and {@link H1Pool} both are one. */
export interface UpstreamPool {
  /** Sends a request; throws (before sending anything) for one it cannot write. */
  dispatch(opts: H1DispatchOptions, handler: Handler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** Pool options every upstream pool starts from; a cluster's connectionPool settings override them. */
export const POOL_DEFAULTS: UndiciPool.Options = {
  pipelining: 1,
  keepAliveTimeout: 30_000,
  // Istio's default connectTimeout.
  connectTimeout: 10_000,
  headersTimeout: 0,
  bodyTimeout: 0,
};

/** Which pool a request uses: one per (target, options, protocol), computed at snapshot time. */
export interface PoolSpec {
  /** Map key: the target, plus the options' signature and protocol when not the defaults. */
  key: string;
  /** `host:port` to connect to. */
  target: string;
  options: Partial<UndiciPool.Options>;
  /** The endpoint is a peer agent: mTLS, and it must present this SPIFFE ID (secure naming). */
  tls?: { serverId: string };
}

/** The default-options spec of `target`. */
export function defaultPoolSpec(target: string): PoolSpec {
  return { key: target, target, options: {} };
}

/** The same pool, speaking HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1. */
export function h2PoolSpec(spec: PoolSpec): PoolSpec {
  // Pool builds its connector itself and forwards only `connect` options to it: useH2c goes there.
  // With mTLS, h2 is negotiated by ALPN: UpstreamPools replaces `connect` with the mesh connector.
  const h2: PoolSpec = { key: `h2c|${spec.key}`, target: spec.target, options: { ...spec.options, allowH2: true, pipelining: 100, connect: { useH2c: true } } as Partial<UndiciPool.Options> };
  if (spec.tls) h2.tls = spec.tls;
  return h2;
}

/**
 * One keep-alive pool per {@link PoolSpec}: HTTP/1.1 through {@link H1Pool} (or undici's Pool when
 * `client` is 'undici'), HTTP/2 through undici's. `sync` opens pools for new specs and gracefully
 * closes those whose target is no longer wanted (in-flight requests on them finish first). A spec
 * with `tls` gets an mTLS pool: connections made by `mesh` with the certificate in force when each
 * connects (HTTP/2 by ALPN for h2 pools), long-lived like the plaintext ones.
 */
export class UpstreamPools {
  #pools = new Map<string, { pool: UpstreamPool; target: string }>();
  #byTarget = new Map<string, PoolSpec>();
  #closed = false;
  readonly #mesh: MeshTls | undefined;
  readonly #client: UpstreamClient;

  constructor(mesh?: MeshTls, client: UpstreamClient = 'h1') {
    this.#mesh = mesh;
    this.#client = client;
    // Every pool is undici's: have it loaded before the first request.
    if (client === 'undici') loadUndici().catch(() => {});
  }

  /** The pool of `spec`, created on first use (inbound app ports, late snapshots, h2c). */
  get(spec: PoolSpec): UpstreamPool {
    const have = this.#pools.get(spec.key);
    if (have) return have.pool;
    const options: UndiciPool.Options = { ...POOL_DEFAULTS, ...spec.options };
    let origin = `http://${spec.target}`;
    if (spec.tls && this.#mesh) {
      origin = `https://${spec.target}`;
      options.connect = this.#mesh.connector(spec.tls.serverId, options.allowH2 === true, options.connectTimeout ?? undefined);
    }
    const pool: UpstreamPool = this.#client === 'h1' && options.allowH2 !== true ? new H1Pool(origin, options as H1PoolOptions) : undiciPool(origin, options);
    if (!this.#closed) this.#pools.set(spec.key, { pool, target: spec.target });
    return pool;
  }

  /** The default pool of `target`. */
  forTarget(target: string): UpstreamPool {
    let spec = this.#byTarget.get(target);
    if (!spec) this.#byTarget.set(target, (spec = defaultPoolSpec(target)));
    return this.get(spec);
  }

  /** Opens the pools of `specs`; closes every pool whose target none of them (nor `keep`) names. */
  sync(specs: Iterable<PoolSpec>, keep: Iterable<string> = []): void {
    if (this.#closed) return;
    const targets = new Set(keep);
    for (const s of specs) {
      targets.add(s.target);
      this.get(s);
    }
    for (const [key, { pool, target }] of this.#pools) {
      if (targets.has(target)) continue;
      this.#pools.delete(key);
      this.#byTarget.delete(target);
      pool.close().catch(() => {});
    }
  }

  /** Keys of the open pools. */
  targets(): string[] {
    return [...this.#pools.keys()];
  }

  /** Waits for in-flight requests, then closes every pool. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.pool.close().catch(() => {})));
  }

  /** Closes every pool now, failing in-flight requests. Idempotent. */
  async destroy(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.pool.destroy().catch(() => {})));
  }
}

/** undici's Pool for `origin`; until undici is loaded, one that holds requests until it is. */
function undiciPool(origin: string, options: UndiciPool.Options): UpstreamPool {
  if (undici) return new undici.Pool(origin, options) as unknown as UpstreamPool;
  return new DeferredPool(origin, options);
}

/**
 * An undici Pool made once undici has loaded (agent/undici-lazy.ts): requests dispatched before
 * then wait for it, in order. Only the first HTTP/2 (or `--upstream-client undici`) pool of a
 * process is one.
 */
class DeferredPool implements UpstreamPool {
  #pool: UpstreamPool | null = null;
  readonly #queue: Array<[H1DispatchOptions, Handler]> = [];
  readonly #ready: Promise<UpstreamPool>;

  constructor(origin: string, options: UndiciPool.Options) {
    this.#ready = loadUndici().then((m) => {
      const pool = (this.#pool = new m.Pool(origin, options) as unknown as UpstreamPool);
      for (const [opts, handler] of this.#queue.splice(0)) {
        try {
          pool.dispatch(opts, handler);
        } catch (err) {
          handler.onResponseError(DETACHED, err as Error);
        }
      }
      return pool;
    });
    // A failed load fails the requests waiting for it (and close/destroy report it).
    this.#ready.catch((err: Error) => {
      for (const [, handler] of this.#queue.splice(0)) handler.onResponseError(DETACHED, err);
    });
  }

  dispatch(opts: H1DispatchOptions, handler: Handler): boolean {
    if (this.#pool) return this.#pool.dispatch(opts, handler);
    this.#queue.push([opts, handler]);
    return true;
  }

  async close(): Promise<void> {
    await (await this.#ready).close();
  }

  async destroy(): Promise<void> {
    await (await this.#ready).destroy();
  }
}
