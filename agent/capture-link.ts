import type { CaptureMessage, RulesResultMessage } from './capture-messages.ts';
import type { CaptureRules } from './iptables-rules.ts';

/**
 * The proxy child's end of the IPC channel to the capture manager: sends desired rule sets (latest
 * wins: requests are serialised) and receives the drain order.
 */
export class CaptureLink {
  #nextId = 1;
  #pending = new Map<number, (r: RulesResultMessage) => void>();
  #queue: Promise<void> = Promise.resolve();
  installed = false;
  lastError: string | undefined;

  constructor(onDrain: (graceMs: number) => void) {
    process.on('message', (m: CaptureMessage) => {
      if (m?.type === 'rules-result') {
        this.#pending.get(m.id)?.(m);
        this.#pending.delete(m.id);
      } else if (m?.type === 'drain') onDrain(m.graceMs);
    });
    // The manager died: nobody will clean up after us, so stop too.
    process.on('disconnect', () => onDrain(0));
  }

  /** Asks the manager to make the dockmesh chains equal `rules`; resolves once applied (or failed). */
  apply(rules: CaptureRules): Promise<void> {
    const run = async () => {
      const id = this.#nextId++;
      const result = await new Promise<RulesResultMessage>((resolve) => {
        this.#pending.set(id, resolve);
        process.send!({ type: 'rules', id, rules } satisfies CaptureMessage);
      });
      if (result.ok) {
        this.installed = true;
        this.lastError = undefined;
      } else this.lastError = result.error ?? 'iptables failed';
      if (!result.ok) throw new Error(this.lastError);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }
}
