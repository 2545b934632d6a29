import { eligibleOf, randomIndex, type Balanced, type Balancer, type Eligible } from './balancer.ts';

/**
 * LEAST_REQUEST as Envoy does it with equal weights: the power of two choices. Two distinct
 * endpoints are drawn at random and the one with fewer requests in flight wins (the first on a tie).
 * Istio's default when a DestinationRule sets no load balancer.
 */
export class LeastRequest<H extends Balanced> implements Balancer<H> {
  readonly #hosts: readonly H[];

  constructor(hosts: readonly H[]) {
    this.#hosts = hosts;
  }

  pick(eligible: Eligible<H>): H | undefined {
    const hosts = eligibleOf(this.#hosts, eligible);
    const n = hosts.length;
    if (n <= 1) return hosts[0];
    const i = randomIndex(n);
    let j = randomIndex(n - 1);
    if (j >= i) j++;
    const a = hosts[i]!;
    const b = hosts[j]!;
    return b.active < a.active ? b : a;
  }
}

/** RANDOM: any eligible endpoint, uniformly. */
export class RandomBalancer<H extends Balanced> implements Balancer<H> {
  readonly #hosts: readonly H[];

  constructor(hosts: readonly H[]) {
    this.#hosts = hosts;
  }

  pick(eligible: Eligible<H>): H | undefined {
    const hosts = eligibleOf(this.#hosts, eligible);
    return hosts.length === 0 ? undefined : hosts[randomIndex(hosts.length)];
  }
}

/**
 * PASSTHROUGH: the endpoint the client addressed (Envoy's ORIGINAL_DST), when the agent knows it
 * and it is eligible; otherwise a random eligible endpoint, which is what the client's own DNS
 * lookup of the compose service would have given it.
 */
export class Passthrough<H extends Balanced> implements Balancer<H> {
  readonly #random: RandomBalancer<H>;

  constructor(hosts: readonly H[]) {
    this.#random = new RandomBalancer(hosts);
  }

  pick(eligible: Eligible<H>, _hash: number | undefined, original: H | undefined): H | undefined {
    if (original && (!eligible || eligible(original))) return original;
    return this.#random.pick(eligible);
  }
}
