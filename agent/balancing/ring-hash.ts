import { randomIndex, type Balanced, type Balancer, type Eligible } from './balancer.ts';
import { murmur3 } from './murmur3.ts';

/**
 * Ring points per endpoint (ketama's 160). Fixed per endpoint rather than Envoy's 1024-entry minimum
 * ring divided among the endpoints: then removing an endpoint moves only the keys that were on it.
 */
export const POINTS_PER_ENDPOINT = 160;

/**
 * consistentHash as a hash ring (Envoy's RING_HASH, the one Istio configures by default). Built
 * once per snapshot from the endpoints' identities (`address:port`), sorted, so that every agent with
 * the same endpoints builds the same ring, and adding or removing one endpoint moves only the keys
 * that land on its points. A key maps to the first ring point at or after its hash; when that
 * endpoint is excluded (ejected, already tried) the walk goes on clockwise. No key (the header or
 * cookie absent): a random endpoint, as Envoy does.
 */
export class RingHash<H extends Balanced> implements Balancer<H> {
  readonly #hosts: readonly H[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(hosts: readonly H[], per = POINTS_PER_ENDPOINT) {
    this.#hosts = hosts;
    const entries: Array<[number, number]> = [];
    hosts.forEach((h, index) => {
      for (let i = 0; i < per; i++) entries.push([murmur3(`${h.identity}_${i}`), index]);
    });
    entries.sort((a, b) => a[0] - b[0] || hosts[a[1]]!.identity.localeCompare(hosts[b[1]]!.identity));
    this.#points = Uint32Array.from(entries, (e) => e[0]);
    this.#owners = Uint32Array.from(entries, (e) => e[1]);
  }

  pick(eligible: Eligible<H>, hash: number | undefined): H | undefined {
    const hosts = this.#hosts;
    if (hosts.length === 0) return undefined;
    const points = this.#points;
    let at: number;
    if (hash === undefined) at = randomIndex(points.length);
    else {
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid]! < hash) lo = mid + 1;
        else hi = mid;
      }
      at = lo === points.length ? 0 : lo;
    }
    for (let i = 0; i < points.length; i++) {
      const h = hosts[this.#owners[(at + i) % points.length]!]!;
      if (!eligible || eligible(h)) return h;
    }
    return undefined;
  }
}
