/** What a balancer needs to know of one endpoint of a cluster. */
export interface Balanced {
  /** Requests in flight to this endpoint from this cluster (LEAST_REQUEST reads it). */
  readonly active: number;
  /** Stable identity across agents and snapshots (`address:port`): the hash ring's input. */
  readonly identity: string;
}

/** Which endpoints a pick may return; null: all of them. */
export type Eligible<H> = ((host: H) => boolean) | null;

/** One load-balancing algorithm over a cluster's endpoint list (fixed per snapshot). */
export interface Balancer<H extends Balanced> {
  /**
   * Picks an endpoint among `eligible` ones, or undefined when none is. `hash` is the request's
   * consistent-hash key (ring hash only); `original` the endpoint the client named (PASSTHROUGH only);
   * `retry` is true when endpoints are excluded because earlier attempts of the request used them.
   */
  pick(eligible: Eligible<H>, hash: number | undefined, original: H | undefined, retry: boolean): H | undefined;
}

/** A random integer in [0, n). */
export const randomIndex = (n: number): number => (Math.random() * n) | 0;

/** The eligible endpoints of `hosts` (a copy; only built on the slow path, when some are excluded). */
export function eligibleOf<H>(hosts: readonly H[], eligible: Eligible<H>): readonly H[] {
  if (!eligible) return hosts;
  const out: H[] = [];
  for (const h of hosts) if (eligible(h)) out.push(h);
  return out;
}
