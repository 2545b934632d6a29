import { readFile } from 'node:fs/promises';
import { AGENT_PORT_RANGE, appListeningPorts, parseProcNetTcp } from './proc-net-tcp.ts';

/** Reads the app's listening ports of this network namespace from /proc/net/tcp and tcp6. */
export async function readAppPorts(ownPorts: ReadonlySet<number>, files = ['/proc/net/tcp', '/proc/net/tcp6']): Promise<number[]> {
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
  return appListeningPorts(texts.flatMap((t) => parseProcNetTcp(t)), AGENT_PORT_RANGE, ownPorts);
}

/** Polls the app's listening ports (every second by default) and calls `onChange` when the set changes. */
export class PortWatcher {
  readonly #onChange: (ports: number[]) => void | Promise<void>;
  readonly #intervalMs: number;
  readonly #ownPorts: () => ReadonlySet<number>;
  #timer: NodeJS.Timeout | undefined;
  #last = '';
  #running = false;
  ports: number[] = [];

  constructor(onChange: (ports: number[]) => void | Promise<void>, ownPorts: () => ReadonlySet<number>, intervalMs = 1000) {
    this.#onChange = onChange;
    this.#ownPorts = ownPorts;
    this.#intervalMs = intervalMs;
  }

  /** Reads once now (resolves after `onChange` if the set changed), then keeps polling. */
  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
  }

  async #poll(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const ports = await readAppPorts(this.#ownPorts());
      const key = ports.join(',');
      if (key !== this.#last) {
        this.#last = key;
        this.ports = ports;
        await this.#onChange(ports);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Stops polling. Idempotent. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
