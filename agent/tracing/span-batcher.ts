import type { TraceProtocol } from '../../wire/types.ts';
import { exportRetryDelay } from './export-retry.ts';
import { tracesPrefix, TRACES_SUFFIX } from './otlp-json.ts';
import { ProtoSpanWriter, protoHead, protoHeadSize, resourceProto } from './otlp-proto.ts';
import { SpanWriter } from './span-writer.ts';
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
  /** The body's encoding, as the tracing settings name it; default here `http/json`. */
  protocol?: TraceProtocol;
}

/** Span counts since the batcher started (`dockmesh_trace_spans_*`). */
export interface ExportCounters {
  exported: number;
  /** Dropped because every batch was full (the collector slow or down). */
  droppedQueueFull: number;
  /** Dropped because their export request failed or timed out (after its retries, export-retry.ts). */
  droppedExportFailed: number;
  /** Export requests sent again after a retryable failure. */
  exportRetries: number;
}

/** Encoded spans (JSON: comma-separated) in a reusable buffer, from {@link HEAD_ROOM} on. */
interface Batch {
  buf: Buffer;
  /** Where the spans end. */
  used: number;
  count: number;
}

const COMMA = 44;
const SUFFIX = Buffer.from(TRACES_SUFFIX);
/**
 * Room kept before a batch's spans for the request's prefix (the resource; for protobuf also the
 * lengths of the messages the spans are in), so that the body goes out as one slice of the batch
 * buffer, not a copy of up to 1 MiB. A larger prefix is sent apart.
 */
const HEAD_ROOM = 2048;

/**
 * Collects finished spans and exports them in batches, one request at a time: every `intervalMs`,
 * or as soon as a batch holds `batchSize` spans. Spans finished during one event-loop turn are
 * encoded together on the next (off the response path) straight into a batch buffer (span-writer.ts), so nothing of
 * a span outlives its turn but its bytes. Memory is bounded by `maxBatches` buffers: when the
 * collector is slow or down, spans are dropped and counted, never waited for.
 */
export class SpanBatcher {
  readonly counters: ExportCounters = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 0 };
  readonly #o: Required<Omit<BatcherOptions, 'send' | 'resource'>> & Pick<BatcherOptions, 'send' | 'resource'>;
  readonly #proto: boolean;
  #pending: SpanRecord[] = [];
  #scheduled = false;
  #filling: Batch | null = null;
  readonly #waiting: Batch[] = [];
  #inFlight: Promise<void> | null = null;
  /** Batches in use: filling, waiting and in flight. */
  #batches = 0;
  #spare: Buffer | null = null;
  readonly #writer: SpanWriter | ProtoSpanWriter;
  #prefixOf: readonly AttributeValue[] | null = null;
  /** JSON: the body's prefix; protobuf: the encoded resource field. */
  #prefixBytes: Buffer = Buffer.alloc(0);
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  /** Ends the wait before a retry at once (close, destroy). */
  #wake: (() => void) | null = null;

  constructor(o: BatcherOptions) {
    this.#o = { batchSize: 512, maxBatches: 4, batchBytes: 1024 * 1024, intervalMs: 1000, protocol: 'http/json', ...o };
    this.#proto = this.#o.protocol === 'http/protobuf';
    this.#writer = this.#proto ? new ProtoSpanWriter() : new SpanWriter();
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
    for (const s of spans) this.#append(s);
  }

  #append(span: SpanRecord): void {
    const cap = this.#o.batchBytes;
    const need = this.#writer.bound(span);
    let b = this.#filling ?? this.#open();
    // The bound is generous (escaping at its worst): a batch is sealed when it might not fit.
    if (b && b.count > 0 && b.used - HEAD_ROOM + 1 + need > cap) {
      this.#seal(b);
      b = this.#open();
    }
    if (!b || b.used - HEAD_ROOM + 1 + need > cap) {
      this.counters.droppedQueueFull++;
      return;
    }
    if (b.count > 0 && !this.#proto) b.buf[b.used++] = COMMA;
    b.used = this.#writer.write(b.buf, b.used, span);
    b.count++;
    if (b.count >= this.#o.batchSize) this.#seal(b);
  }

  #open(): Batch | null {
    if (this.#batches >= this.#o.maxBatches) return null;
    this.#batches++;
    const buf = this.#spare ?? Buffer.allocUnsafeSlow(HEAD_ROOM + this.#o.batchBytes + SUFFIX.length);
    this.#spare = null;
    this.#filling = { buf, used: HEAD_ROOM, count: 0 };
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

  /** The body's prefix (JSON) or resource field (protobuf) for the current resource, encoded again only when it changes. */
  #prefix(): Buffer {
    const resource = this.#o.resource();
    if (resource !== this.#prefixOf) {
      this.#prefixOf = resource;
      this.#prefixBytes = this.#proto ? resourceProto(resource) : Buffer.from(tracesPrefix(resource), 'utf8');
    }
    return this.#prefixBytes;
  }

  /** A sealed batch as the chunks of one request body (one when its head fits in {@link HEAD_ROOM}). */
  #body(b: Batch): Buffer[] {
    const prefix = this.#prefix();
    if (this.#proto) {
      const spanBytes = b.used - HEAD_ROOM;
      const size = protoHeadSize(prefix, spanBytes);
      if (size <= HEAD_ROOM) return [b.buf.subarray(protoHead(b.buf, HEAD_ROOM, prefix, spanBytes), b.used)];
      const head = Buffer.allocUnsafe(size);
      protoHead(head, size, prefix, spanBytes);
      return [head, b.buf.subarray(HEAD_ROOM, b.used)];
    }
    const end = b.used + SUFFIX.copy(b.buf, b.used);
    if (prefix.length <= HEAD_ROOM) {
      const start = HEAD_ROOM - prefix.length;
      prefix.copy(b.buf, start);
      return [b.buf.subarray(start, end)];
    }
    return [prefix, b.buf.subarray(HEAD_ROOM, end)];
  }

  /** Sends the oldest waiting batch unless a request is in flight. */
  #export(): void {
    if (this.#inFlight || this.#waiting.length === 0) return;
    const b = this.#waiting.shift()!;
    this.#inFlight = this.#send(this.#body(b)).then(
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

  /** Sends one body, again after a retryable failure (export-retry.ts) unless the batcher closes meanwhile. */
  async #send(chunks: Buffer[]): Promise<void> {
    for (let retries = 0; ; retries++) {
      try {
        return await this.#o.send(chunks);
      } catch (err) {
        const delay = this.#closed ? undefined : exportRetryDelay(err, retries);
        if (delay === undefined) throw err;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.#wake = null;
            resolve();
          }, delay);
          t.unref();
          this.#wake = () => {
            clearTimeout(t);
            this.#wake = null;
            resolve();
          };
        });
        if (this.#closed) throw err;
        this.counters.exportRetries++;
      }
    }
  }

  /** Exports everything queued (each request still bounded by its timeout; no retry), then stops. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    clearInterval(this.#timer);
    this.#tick();
    while (this.#inFlight) await this.#inFlight;
  }

  /** Stops at once; what is queued is dropped and counted. */
  destroy(): void {
    this.#closed = true;
    this.#wake?.();
    clearInterval(this.#timer);
    this.counters.droppedQueueFull += this.queued;
    this.#pending = [];
    this.#filling = null;
    this.#waiting.length = 0;
  }
}
