import type { WorkloadSnapshot } from '../../wire/types.ts';
import type { Logger } from '../logger.ts';
import type { ExportCounters } from './span-batcher.ts';
import type { Tracer } from './tracer.ts';
import { sameTracing, type TracingSettings } from './tracing-settings.ts';

/** Span counts over the agent's life, across tracer changes (`dockmesh_trace_spans_*`). */
export interface TracingCounters extends ExportCounters {
  /** Spans waiting for export now. */
  queued: number;
}

/**
 * Turns tracing on, off, or to new settings. The data path reads `current` (null: tracing off, and
 * nothing of the tracer is loaded: `./tracer.ts` is imported on first use). A replaced tracer
 * exports what it holds in the background.
 */
export class TracingSwitch {
  current: Tracer | null = null;
  readonly #log: Logger | undefined;
  #settings: TracingSettings | undefined;
  #self: WorkloadSnapshot | undefined;
  #address = '127.0.0.1';
  #chain: Promise<void> = Promise.resolve();
  readonly #retired = new Set<Tracer>();
  readonly #base: ExportCounters = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 0 };

  constructor(log?: Logger) {
    this.#log = log;
  }

  /** Whether tracing was ever turned on. */
  get used(): boolean {
    return this.current !== null || this.#retired.size > 0 || this.#base.exported + this.#base.droppedQueueFull + this.#base.droppedExportFailed > 0;
  }

  /** Puts `settings` in force (undefined: off); applied in call order. */
  apply(settings: TracingSettings | undefined): Promise<void> {
    this.#chain = this.#chain.then(() => this.#apply(settings));
    return this.#chain;
  }

  async #apply(settings: TracingSettings | undefined): Promise<void> {
    if (sameTracing(settings, this.#settings)) return;
    let next: Tracer | null = null;
    if (settings) {
      try {
        const { Tracer } = await import('./tracer.ts');
        next = new Tracer({ settings });
        if (this.#self) next.setIdentity(this.#self, this.#address);
      } catch (err) {
        this.#log?.error('tracing not started', { err, endpoint: settings.endpoint });
        return;
      }
    }
    this.#settings = settings;
    const old = this.current;
    this.current = next;
    if (settings) this.#log?.info('tracing on', { endpoint: settings.endpoint, samplingPercent: settings.samplingPercent, protocol: settings.protocol });
    else this.#log?.info('tracing off');
    if (old) this.#retire(old);
  }

  #retire(t: Tracer): void {
    this.#retired.add(t);
    void t.close().finally(() => {
      this.#retired.delete(t);
      this.#base.exported += t.counters.exported;
      this.#base.droppedQueueFull += t.counters.droppedQueueFull;
      this.#base.droppedExportFailed += t.counters.droppedExportFailed;
      this.#base.exportRetries += t.counters.exportRetries;
    });
  }

  /** Who the agent is; `address`: its own (for `node_id`). */
  setIdentity(self: WorkloadSnapshot, address: string): void {
    this.#self = self;
    this.#address = address;
    this.current?.setIdentity(self, address);
  }

  /** Counts so far, every tracer included. */
  counters(): TracingCounters {
    const c: TracingCounters = { ...this.#base, queued: 0 };
    for (const t of [...this.#retired, ...(this.current ? [this.current] : [])]) {
      c.exported += t.counters.exported;
      c.droppedQueueFull += t.counters.droppedQueueFull;
      c.droppedExportFailed += t.counters.droppedExportFailed;
      c.exportRetries += t.counters.exportRetries;
      c.queued += t.queued;
    }
    return c;
  }

  /** Exports what is queued (bounded by the export timeout) and stops tracing. */
  async close(): Promise<void> {
    await this.#chain;
    const t = this.current;
    this.current = null;
    this.#settings = undefined;
    if (t) {
      this.#retire(t);
      await t.close();
    }
  }
}
