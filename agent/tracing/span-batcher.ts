import { encodeTraces } from './otlp-json.ts';
import type { AttributeValue, SpanRecord } from './span-record.ts';

/** What a {@link SpanBatcher} needs: where batches go, and the resource they describe. */
export interface BatcherOptions {
  /** Sends one encoded batch; rejects when it was not accepted (including timeouts). */
  send(body: string): Promise<void>;
  /** Resource attributes, read when a batch is encoded. */
  resource(): readonly AttributeValue[];
  /** Spans held at most; beyond, new spans are dropped. Default 2048. */
  maxQueue?: number;
  /** Spans per export request, and the queue length that triggers one at once. Default 512. */
  batchSize?: number;
  /** Export what is queued at least this often. Default 1000 ms. */
  intervalMs?: number;
}

/** Span counts since the batcher started (`dockmesh_trace_spans_*`). */
export interface ExportCounters {
  exported: number;
  /** Dropped because the queue was full (the collector slow or down). */
  droppedQueueFull: number;
  /** Dropped because their export request failed or timed out. */
  droppedExportFailed: number;
}

/**
 * Collects finished spans and exports them in batches, one request at a time: every `intervalMs`,
 * or as soon as `batchSize` spans wait. The queue is bounded: when the collector is slow or down,
 * spans are dropped and counted, never waited for, so the data path neither blocks nor grows memory.
 * Encoding happens here, off the request path.
 */
export class SpanBatcher {
  readonly counters: ExportCounters = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  readonly #o: Required<Omit<BatcherOptions, 'send' | 'resource'>> & Pick<BatcherOptions, 'send' | 'resource'>;
  #queue: SpanRecord[] = [];
  #inFlight: Promise<void> | null = null;
  #soon = false;
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(o: BatcherOptions) {
    this.#o = { maxQueue: 2048, batchSize: 512, intervalMs: 1000, ...o };
    this.#timer = setInterval(() => this.#export(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Spans waiting for export. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues a finished span. Must not block: called from the data path. */
  add(span: SpanRecord): void {
    if (this.#closed || this.#queue.length >= this.#o.maxQueue) {
      this.counters.droppedQueueFull++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#o.batchSize && !this.#inFlight && !this.#soon) {
      this.#soon = true;
      setImmediate(() => {
        this.#soon = false;
        this.#export();
      });
    }
  }

  /** Starts exporting one batch unless one is in flight or nothing waits. */
  #export(): void {
    if (this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#o.batchSize);
    let body: string;
    try {
      body = encodeTraces(this.#o.resource(), batch);
    } catch {
      this.counters.droppedExportFailed += batch.length;
      return;
    }
    this.#inFlight = this.#o.send(body).then(
      () => {
        this.counters.exported += batch.length;
      },
      () => {
        this.counters.droppedExportFailed += batch.length;
      },
    ).finally(() => {
      this.#inFlight = null;
      if (!this.#closed && this.#queue.length >= this.#o.batchSize) this.#export();
    });
  }

  /** Exports what is queued (each request still bounded by its timeout), then stops. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    while (this.#inFlight || this.#queue.length > 0) {
      if (this.#inFlight) await this.#inFlight;
      else this.#export();
    }
  }

  /** Stops at once; queued spans are dropped and counted. */
  destroy(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.counters.droppedQueueFull += this.#queue.length;
    this.#queue = [];
  }
}
