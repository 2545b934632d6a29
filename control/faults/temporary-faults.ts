/**
 * Temporary faults set with `mesh fault` (for integration tests in CI): a fault per destination
 * service that expires by itself, layered over the meshfile's routes at compile time.
 */
import { EventEmitter } from 'node:events';
import type { FaultSnapshot } from '../../wire/types.ts';

export interface TemporaryFault {
  service: string;
  fault: FaultSnapshot;
  expiresAt: number;
}

/** Active faults; emits `change` when one is set, cleared or expires. */
export class TemporaryFaults extends EventEmitter {
  readonly #faults = new Map<string, TemporaryFault>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  set(service: string, fault: FaultSnapshot, forMs: number): TemporaryFault {
    this.#clearTimer(service);
    const entry = { service, fault, expiresAt: Date.now() + forMs };
    this.#faults.set(service, entry);
    const t = setTimeout(() => this.clear(service), forMs);
    t.unref();
    this.#timers.set(service, t);
    this.emit('change');
    return entry;
  }

  /** Clears one service's fault, or all. Returns how many were cleared. */
  clear(service?: string): number {
    const names = service ? [service] : [...this.#faults.keys()];
    let n = 0;
    for (const s of names) {
      this.#clearTimer(s);
      if (this.#faults.delete(s)) n++;
    }
    if (n) this.emit('change');
    return n;
  }

  list(): TemporaryFault[] {
    return [...this.#faults.values()].sort((a, b) => a.service.localeCompare(b.service));
  }

  /** service name → fault, for the compiler. */
  byService(): ReadonlyMap<string, FaultSnapshot> {
    return new Map([...this.#faults].map(([k, v]) => [k, v.fault]));
  }

  #clearTimer(service: string): void {
    const t = this.#timers.get(service);
    if (t) clearTimeout(t);
    this.#timers.delete(service);
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
