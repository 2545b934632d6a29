/**
 * Follows the CA directory for a running control server: `mesh ca rotate` runs on the host and only
 * writes files, so the server polls (`refresh()` is one stat) and reports when the trust it hands
 * agents changes: a root added or dropped, or the signing root switching when a rotation's
 * propagation delay ends (a time, not a file change). The caller recompiles snapshots with the new
 * `trust`, which reaches every agent through the normal push.
 */
import type { TrustSnapshot } from '../../wire/types.ts';
import type { LocalCa } from './local-ca.ts';

export interface CaWatcherOptions {
  intervalMs?: number;
  /** Called with the new trust after a change; not called for the initial state. */
  onChange(trust: TrustSnapshot): void;
  onError?(err: Error): void;
}

function keyOf(t: TrustSnapshot): string {
  return `${t.signer}\n${t.bundle.join('')}`;
}

export class CaWatcher {
  readonly #ca: LocalCa;
  readonly #o: CaWatcherOptions;
  #last: string;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(ca: LocalCa, o: CaWatcherOptions) {
    this.#ca = ca;
    this.#o = o;
    this.#last = keyOf(ca.trust());
    this.#timer = setInterval(() => void this.check(), o.intervalMs ?? 2000);
    this.#timer.unref();
  }

  /** One poll (also used by tests); resolves true when the trust changed. */
  async check(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#ca.refresh();
    } catch (err) {
      // A half-written or broken directory: keep the trust in force, say why.
      this.#o.onError?.(err as Error);
      return false;
    }
    const t = this.#ca.trust();
    const k = keyOf(t);
    if (k === this.#last) return false;
    this.#last = k;
    this.#o.onChange(t);
    return true;
  }

  /** Stops polling. Idempotent. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
