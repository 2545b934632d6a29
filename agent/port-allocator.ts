import { AgentError } from './agent-error.ts';

/**
 * Hands out agent listener ports from a fixed sequence, one per key, stable for the allocator's life
 * (pure). Inbound: 15006 then 15100-15199; outbound: 15200-15299.
 */
export class PortAllocator {
  readonly #sequence: number[];
  readonly #byKey = new Map<string, number>();

  constructor(sequence: number[]) {
    this.#sequence = sequence;
  }

  /** The port already given to `key`, or the next free one. Throws AGENT_ERR_PORTS_EXHAUSTED. */
  allocate(key: string): number {
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const port = this.#sequence[this.#byKey.size];
    if (port === undefined) {
      throw new AgentError('AGENT_ERR_PORTS_EXHAUSTED', `${this.#sequence[0]}-${this.#sequence.at(-1)}`);
    }
    this.#byKey.set(key, port);
    return port;
  }

  /** The port given to `key`, if any. */
  get(key: string): number | undefined {
    return this.#byKey.get(key);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Inbound listener ports: the first app port gets 15006, the next ones 15100, 15101, ... */
export const inboundPortAllocator = (): PortAllocator => new PortAllocator([15006, ...range(15100, 15199)]);

/** Outbound listener ports, one per (service, port): 15200 and up (15001 stays reserved). */
export const outboundPortAllocator = (): PortAllocator => new PortAllocator(range(15200, 15299));
