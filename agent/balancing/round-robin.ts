import type { Balanced, Balancer, Eligible } from './balancer.ts';

/**
 * ROUND_ROBIN over a fixed list (per snapshot). Excluded endpoints (ejected, already tried) are
 * skipped; a pick that excludes only because of earlier tries (a retry) does not move the rotation,
 * so the next request does not start on the failed endpoint again.
 */
export class RoundRobin<T> {
  readonly items: readonly T[];
  #next = 0;

  constructor(items: readonly T[]) {
    this.items = items;
  }

  /** The next item in turn. */
  pick(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const item = this.items[this.#next % n]!;
    this.#next = (this.#next + 1) % n;
    return item;
  }

  /** The next item in turn that passes `ok`; moves the rotation past it when `advance`. */
  pickWhere(ok: (item: T) => boolean, advance: boolean): T | undefined {
    const n = this.items.length;
    for (let i = 0; i < n; i++) {
      const at = (this.#next + i) % n;
      const item = this.items[at]!;
      if (!ok(item)) continue;
      if (advance) this.#next = (at + 1) % n;
      return item;
    }
    return undefined;
  }

  /**
   * The next item in turn that is not `avoid`, without moving the rotation (a retry must not make
   * the next request start on the failed item again); undefined when there is no other.
   */
  pickOther(avoid: T): T | undefined {
    return this.pickWhere((item) => item !== avoid, false);
  }
}

/** {@link RoundRobin} as a cluster {@link Balancer}. */
export class RoundRobinBalancer<H extends Balanced> implements Balancer<H> {
  readonly #rr: RoundRobin<H>;

  constructor(hosts: readonly H[]) {
    this.#rr = new RoundRobin(hosts);
  }

  pick(eligible: Eligible<H>, _hash: number | undefined, _original: H | undefined, retry = false): H | undefined {
    return eligible ? this.#rr.pickWhere(eligible, !retry) : this.#rr.pick();
  }
}
