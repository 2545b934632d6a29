import { spanJson, tracesPrefix, TRACES_SUFFIX } from './otlp-json.ts';
import type { AttributeValue, SpanRecord } from './span-record.ts';

/** What a {@link SpanBatcher} needs: where batches go, and the resource they describe. */
export interface BatcherOptions {
  /** Sends one request body, the concatenation of `chunks`; rejects when it was not accepted (timeouts included). */
  send(chunks: Buffer[]): Promise<void>;
  /** Resource attributes, read when a batch is sent. */
  resource(): readonly AttributeValue[];
  /** Spans per export request; a full batch is sent at once. Default 512. */
  batchSize?: number;
  /** Batches held at most (the one filling, those waiting, the one in flight); beyond, spans are dropped. Default 4. */
  maxBatches?: number;
  /** Bytes of encoded spans one batch holds at most. Default 1 MiB. */
  batchBytes?: number;
  /** Send what is waiting at least this often. Default 1000 ms. */
  intervalMs?: number;
}

/** Span counts since the batcher started (`dockmesh_trace_spans_*`). */
export interface ExportCounters {
  exported: number;
  /** Dropped because every batch was full (the collector slow or down). */
  droppedQueueFull: number;
  /** Dropped because their export request failed or timed out. */
  droppedExportFailed: number;
}

/** Encoded spans, comma-separated, in a reusable buffer. */
interface Batch {
  buf: Buffer;
  used: number;
  count: number;
}

const COMMA = 44;

/**
 * Collects finished spans and exports them in batches, one request at a time: every `intervalMs`,
 * or as soon as a batch holds `batchSize` spans. Spans finished during one event-loop turn are
 * encoded together on the next (off the response path) straight into a batch buffer, so nothing of
 * a span outlives its turn but its bytes. Memory is bounded by `maxBatches` buffers: when the
 * collector is slow or down, spans are dropped and counted, never waited for.
 */
export class SpanBatcher {
  readonly counters: ExportCounters = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  readonly #o: Required<Omit<BatcherOptions, 'send' | 'resource'>> & Pick<BatcherOptions, 'send' | 'resource'>;
  #pending: SpanRecord[] = [];
  #scheduled = false;
  #filling: Batch | null = null;
  readonly #waiting: Batch[] = [];
  #inFlight: Promise<void> | null = null;
  /** Batches in use: filling, waiting and in flight. */
  #batches = 0;
  #spare: Buffer | null = null;
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(o: BatcherOptions) {
    this.#o = { batchSize: 512, maxBatches: 4, batchBytes: 1024 * 1024, intervalMs: 1000, ...o };
    this.#timer = setInterval(() => this.#tick(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Spans not yet exported (encoded or not). */
  get queued(): number {
    let n = this.#pending.length + (this.#filling?.count ?? 0);
    for (const b of this.#waiting) n += b.count;
    return n;
  }

  /** Queues a finished span. Must not block: called from the data path. */
  add(span: SpanRecord): void {
    if (this.#closed || this.#pending.length >= this.#o.batchSize) {
      this.counters.droppedQueueFull++;
      return;
    }
    this.#pending.push(span);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#encodePending());
    }
  }

  #encodePending(): void {
    this.#scheduled = false;
    const spans = this.#pending;
    this.#pending = [];
    for (const s of spans) this.#append(spanJson(s));
  }

  #append(json: string): void {
    const cap = this.#o.batchBytes;
    let b = this.#filling ?? this.#open();
    // Exact for ASCII; the byte length is only computed near the end of the buffer.
    const fits = (x: Batch) => x.used + 1 + json.length * 3 <= cap || x.used + 1 + Buffer.byteLength(json) <= cap;
    if (b && b.count > 0 && !fits(b)) {
      this.#seal(b);
      b = this.#open();
    }
    if (!b || !fits(b)) {
      this.counters.droppedQueueFull++;
      return;
    }
    if (b.count > 0) b.buf[b.used++] = COMMA;
    b.used += b.buf.write(json, b.used);
    b.count++;
    if (b.count >= this.#o.batchSize) this.#seal(b);
  }

  #open(): Batch | null {
    if (this.#batches >= this.#o.maxBatches) return null;
    this.#batches++;
    const buf = this.#spare ?? Buffer.allocUnsafeSlow(this.#o.batchBytes);
    this.#spare = null;
    this.#filling = { buf, used: 0, count: 0 };
    return this.#filling;
  }

  #seal(b: Batch): void {
    if (this.#filling === b) this.#filling = null;
    this.#waiting.push(b);
    this.#export();
  }

  #tick(): void {
    if (this.#pending.length > 0) this.#encodePending();
    if (this.#filling && this.#filling.count > 0) this.#seal(this.#filling);
  }

  /** Sends the oldest waiting batch unless a request is in flight. */
  #export(): void {
    if (this.#inFlight || this.#waiting.length === 0) return;
    const b = this.#waiting.shift()!;
    const chunks = [Buffer.from(tracesPrefix(this.#o.resource())), b.buf.subarray(0, b.used), Buffer.from(TRACES_SUFFIX)];
    this.#inFlight = this.#o.send(chunks).then(
      () => {
        this.counters.exported += b.count;
        this.#spare = b.buf;
      },
      () => {
        // The failed request may still hold the buffer: it is not reused.
        this.counters.droppedExportFailed += b.count;
      },
    ).finally(() => {
      this.#batches--;
      this.#inFlight = null;
      this.#export();
    });
  }

  /** Exports everything queued (each request still bounded by its timeout), then stops. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#tick();
    while (this.#inFlight) await this.#inFlight;
  }

  /** Stops at once; what is queued is dropped and counted. */
  destroy(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.counters.droppedQueueFull += this.queued;
    this.#pending = [];
    this.#filling = null;
    this.#waiting.length = 0;
  }
}
