import { readFile } from 'node:fs/promises';
import { AGENT_PORT_RANGE, appListeners, parseProcNetTcp, type AppListener } from './proc-net-tcp.ts';

/** Reads the app's listening ports (and the address each is reached at) of this network namespace from /proc/net/tcp and tcp6. */
export async function readAppListeners(ownPorts: ReadonlySet<number>, files = ['/proc/net/tcp', '/proc/net/tcp6']): Promise<AppListener[]> {
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
  return appListeners(texts.flatMap((t) => parseProcNetTcp(t)), AGENT_PORT_RANGE, ownPorts);
}

/**
 * Polls the app's listening ports (every second by default) and calls `onChange` when the set, or
 * the address one of them is bound to, changes.
 */
export class PortWatcher {
  readonly #onChange: (listeners: AppListener[]) => void | Promise<void>;
  readonly #intervalMs: number;
  readonly #ownPorts: () => ReadonlySet<number>;
  #timer: NodeJS.Timeout | undefined;
  #last = '';
  #running = false;
  ports: number[] = [];

  constructor(onChange: (listeners: AppListener[]) => void | Promise<void>, ownPorts: () => ReadonlySet<number>, intervalMs = 1000) {
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
      const listeners = await readAppListeners(this.#ownPorts());
      const key = listeners.map((l) => (l.host ? `${l.port}@${l.host}` : l.port)).join(',');
      if (key !== this.#last) {
        this.#last = key;
        this.ports = listeners.map((l) => l.port);
        await this.#onChange(listeners);
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
