/** Round-robin over a fixed list (pure, per table). Empty lists give undefined. */
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

  /**
   * The next item in turn that is not `avoid`, without moving the rotation (a retry must not make
   * the next request start on the failed item again); undefined when there is no other.
   */
  pickOther(avoid: T): T | undefined {
    const n = this.items.length;
    for (let i = 0; i < n; i++) {
      const item = this.items[(this.#next + i) % n]!;
      if (item !== avoid) return item;
    }
    return undefined;
  }
}
