import { accessLogLine } from './access-log-line.ts';
import type { AccessLogEntry } from '../wire/types.ts';
import { compileAccessLogFilter, type RequestHeaders } from '../wire/access-log-filter.ts';

/** One access log line (JSON on stdout); also what `mesh tap` streams (wire/types.ts). */
export type { AccessLogEntry } from '../wire/types.ts';

const FLUSH_BYTES = 64 * 1024;
/** A batch buffer: 64 KiB of lines plus room for the line that crosses it. */
const BUFFER_BYTES = 128 * 1024;
const CLOSE_WAIT_MS = 5000;

/** How long a line may wait for its batch (as Envoy's flush interval, but shorter). */
const FLUSH_MS = 50;

/** A snapshot's filter, compiled (the control server checked it; one that fails here filters nothing). */
function filterOf(expression: string | undefined): ((e: AccessLogEntry, headers?: RequestHeaders) => boolean) | undefined {
  if (expression === undefined) return undefined;
  const f = compileAccessLogFilter(expression);
  return f.ok ? f.test : undefined;
}

/**
 * Batches access log lines and writes them to a stream every 50 ms or as soon as 64 KiB are
 * queued, so the hot path pays neither a write per request nor JSON.stringify ({@link accessLogLine}).
 * Not once per event-loop turn: at 1,000 req/s that is about a write per request, and a pipe write
 * cost the agent ~35 µs of CPU per request in the bench (rate-1k). Each line is encoded into the
 * batch buffer at once: a line kept as a string until the flush (a rope of its template's pieces)
 * survives young-generation collections and is flattened later, which cost about twice the CPU.
 * {@link close} waits until every line has left the process: a pipe on stdout is asynchronous, and
 * `process.exit` drops what is still queued in it.
 */
export class AccessLog {
  /** `--access-log on` (the default): without it no line is ever written. */
  readonly enabled: boolean;
  /** Lines for inbound requests and connections: `enabled`, unless Istio Telemetry turned them off. */
  inbound: boolean;
  /** Likewise for outbound ones. */
  outbound: boolean;
  /** Istio Telemetry's CEL filters per direction: a line is written only when its direction's passes. */
  #inboundFilter: ((e: AccessLogEntry, headers?: RequestHeaders) => boolean) | undefined;
  #outboundFilter: ((e: AccessLogEntry, headers?: RequestHeaders) => boolean) | undefined;
  readonly #out: NodeJS.WritableStream;
  readonly #flushMs: number;
  #buffer: Buffer | null = null;
  #used = 0;
  /** Buffers the stream has released, for the next batches. */
  readonly #spare: Buffer[] = [];
  /** A flush is scheduled (at most one at a time; a 64 KiB flush leaves it be). */
  #scheduled = false;
  #pending = 0;
  #idle: Array<() => void> = [];
  readonly #scheduledFlush = () => {
    this.#scheduled = false;
    this.flush();
  };

  /** `flushMs`: the batch interval; 0 writes once per event-loop turn. */
  constructor(enabled: boolean, out: NodeJS.WritableStream = process.stdout, flushMs = FLUSH_MS) {
    this.enabled = enabled;
    this.inbound = enabled;
    this.outbound = enabled;
    this.#out = out;
    this.#flushMs = flushMs;
  }

  /** Istio Telemetry's `accessLogging` from the snapshot (undefined: every line); never above `enabled`. */
  setDirections(d: { inbound: boolean; outbound: boolean; inboundFilter?: string; outboundFilter?: string } | undefined): void {
    this.inbound = this.enabled && (d?.inbound ?? true);
    this.outbound = this.enabled && (d?.outbound ?? true);
    this.#inboundFilter = filterOf(d?.inboundFilter);
    this.#outboundFilter = filterOf(d?.outboundFilter);
  }

  /** Whether a request or connection of `direction` gets a line. */
  logs(direction: 'inbound' | 'outbound'): boolean {
    return direction === 'inbound' ? this.inbound : this.outbound;
  }

  /** Queues one line (`headers`: the request's, for a filter that reads them). */
  write(entry: AccessLogEntry, headers?: RequestHeaders): void {
    if (!this.enabled) return;
    const filter = entry.direction === 'inbound' ? this.#inboundFilter : this.#outboundFilter;
    if (filter !== undefined && !filter(entry, headers)) return;
    const line = accessLogLine(entry);
    // At most 3 bytes of UTF-8 per UTF-16 unit (accessLogLine leaves no lone surrogate).
    if (this.#used + line.length * 3 > BUFFER_BYTES) {
      this.flush();
      if (line.length * 3 > BUFFER_BYTES) return this.#send(Buffer.from(line, 'utf8'), null);
    }
    const buf = (this.#buffer ??= this.#spare.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES));
    this.#used += buf.write(line, this.#used);
    if (this.#used >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      if (this.#flushMs > 0) setTimeout(this.#scheduledFlush, this.#flushMs);
      else setImmediate(this.#scheduledFlush);
    }
  }

  /** Hands what is queued to the stream now (one write call). */
  flush(): void {
    const buf = this.#buffer;
    if (buf === null || this.#used === 0) return;
    const chunk = buf.subarray(0, this.#used);
    this.#buffer = null;
    this.#used = 0;
    this.#send(chunk, buf);
  }

  /** Writes `chunk`; `buf`, which holds it, is reused once the stream is done with it. */
  #send(chunk: Buffer, buf: Buffer | null): void {
    this.#pending++;
    this.#out.write(chunk, () => {
      if (buf && this.#spare.length < 2) this.#spare.push(buf);
      if (--this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /**
   * Flushes, then resolves once the stream has taken every line written so far (or after 5 s, so
   * that a reader that never reads cannot hold the agent's exit forever).
   */
  close(): Promise<void> {
    this.flush();
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The trace id of a W3C `traceparent` (or B3 `x-b3-traceid`) header, or null (pure). */
export function traceIdOf(traceparent: string | undefined, b3: string | undefined): string | null {
  if (traceparent && traceparent.length >= 55 && traceparent[2] === '-') return traceparent.slice(3, 35);
  return b3 ?? null;
}
