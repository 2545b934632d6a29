import { Pool } from 'undici';

const POOL_OPTIONS = {
  pipelining: 1,
  keepAliveTimeout: 30_000,
  connectTimeout: 5_000,
  headersTimeout: 0,
  bodyTimeout: 0,
} as const;

/**
 * One undici keep-alive Pool per upstream target (`host:port`). `sync` opens pools for new targets and
 * gracefully closes the ones no longer wanted (in-flight requests on them finish first).
 */
export class UpstreamPools {
  #pools = new Map<string, Pool>();
  #closed = false;

  /** The pool for `target`, created on first use (inbound app ports, late snapshots). */
  get(target: string): Pool {
    let pool = this.#pools.get(target);
    if (!pool) {
      pool = new Pool(`http://${target}`, POOL_OPTIONS);
      if (!this.#closed) this.#pools.set(target, pool);
    }
    return pool;
  }

  /** Makes the pool set equal `targets` plus `keep`. */
  sync(targets: Iterable<string>, keep: Iterable<string> = []): void {
    if (this.#closed) return;
    const wanted = new Set([...targets, ...keep]);
    for (const t of wanted) this.get(t);
    for (const [t, pool] of this.#pools) {
      if (wanted.has(t)) continue;
      this.#pools.delete(t);
      pool.close().catch(() => {});
    }
  }

  /** Targets with an open pool. */
  targets(): string[] {
    return [...this.#pools.keys()];
  }

  /** Waits for in-flight requests, then closes every pool. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => {})));
  }

  /** Closes every pool now, failing in-flight requests. Idempotent. */
  async destroy(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
