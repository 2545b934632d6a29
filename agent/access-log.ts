/** One access log line (JSON on stdout). */
export interface AccessLogEntry {
  time: string;
  trace_id: string | null;
  request_id: string | null;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  source_service: string;
  destination_service: string;
  upstream: string | null;
  attempts: number;
  response_flags: string;
  direction: 'inbound' | 'outbound';
  /** Inbound over mTLS: the verified peer's SPIFFE ID. */
  source_principal?: string;
  /** An AUDIT AuthorizationPolicy matched the request. */
  audit?: true;
}

const FLUSH_BYTES = 64 * 1024;

/**
 * Batches access log lines and writes them to a stream once per tick (or every 64 KiB), so the
 * hot path does not pay one write syscall per request.
 */
export class AccessLog {
  readonly enabled: boolean;
  readonly #out: NodeJS.WritableStream;
  #buffer = '';
  #scheduled = false;

  constructor(enabled: boolean, out: NodeJS.WritableStream = process.stdout) {
    this.enabled = enabled;
    this.#out = out;
  }

  /** Queues one line. */
  write(entry: AccessLogEntry): void {
    if (!this.enabled) return;
    this.#buffer += JSON.stringify(entry) + '\n';
    if (this.#buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#buffer === '') return;
    const text = this.#buffer;
    this.#buffer = '';
    this.#out.write(text);
  }
}

/** The trace id of a W3C `traceparent` (or B3 `x-b3-traceid`) header, or null (pure). */
export function traceIdOf(traceparent: string | undefined, b3: string | undefined): string | null {
  if (traceparent && traceparent.length >= 55 && traceparent[2] === '-') return traceparent.slice(3, 35);
  return b3 ?? null;
}
