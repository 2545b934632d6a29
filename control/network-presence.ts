/**
 * Keeps the control server reachable from every project network: in container mode it joins the
 * control container to each network the project's workloads use and learns its own address there;
 * in host mode it uses each network's gateway address. Agents get `http(s)://<that address>:<port>`.
 */
import type Docker from 'dockerode';
import type { Workload } from './discovery/labels.ts';

export interface NetworkPresenceOptions {
  docker: Docker;
  /** Container mode: the control container's id or name. Host mode: undefined. */
  self?: string;
  port: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class NetworkPresence {
  readonly #o: NetworkPresenceOptions;
  /** network name → address agents on it use to reach the control server. */
  readonly addresses = new Map<string, string>();

  constructor(o: NetworkPresenceOptions) {
    this.#o = o;
  }

  /** Makes sure every network of `workloads` has an address for the control server. */
  async sync(workloads: readonly Workload[]): Promise<void> {
    const nets = new Set(workloads.flatMap((w) => Object.keys(w.addresses)));
    for (const net of nets) {
      if (this.addresses.has(net)) continue;
      try {
        if (this.#o.self) await this.#join(net);
        else await this.#gateway(net);
      } catch (err) {
        this.#o.log?.('cannot reach network', { network: net, error: (err as Error).message });
      }
    }
  }

  async #join(net: string): Promise<void> {
    const self = this.#o.docker.getContainer(this.#o.self!);
    let info = await self.inspect();
    if (!info.NetworkSettings.Networks[net]) {
      await this.#o.docker.getNetwork(net).connect({ Container: this.#o.self! });
      info = await self.inspect();
    }
    const ip = info.NetworkSettings.Networks[net]?.IPAddress;
    if (ip) this.addresses.set(net, ip);
  }

  async #gateway(net: string): Promise<void> {
    const info = (await this.#o.docker.getNetwork(net).inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
    const gw = info.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
    if (gw) this.addresses.set(net, gw);
  }

  /**
   * The control URL for an agent in `w`'s network namespace: `endpoint` is how agents reach the
   * server (the TLS listener with a CA), default plain HTTP on the API port.
   */
  controlUrlFor(w: Workload, endpoint: { protocol: 'http:' | 'https:'; port: number } = { protocol: 'http:', port: this.#o.port }): string | undefined {
    for (const net of Object.keys(w.addresses).sort()) {
      const addr = this.addresses.get(net);
      if (addr) return `${endpoint.protocol}//${addr}:${endpoint.port}`;
    }
    return undefined;
  }
}
