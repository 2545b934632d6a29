/**
 * I/O: follows Docker's event stream for `filters`, one parsed event at a time, and subscribes
 * again (from the last event's time, with a back-off of 250 ms doubling to 5 s) when the stream
 * ends, as it does when the engine restarts. Used by discovery and by the injector's agent watch.
 */
import type Docker from 'dockerode';

export interface DockerEvent {
  time?: number;
  status?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export interface EventFollowerOptions {
  docker: Docker;
  filters: Record<string, string[]>;
  onEvent: (ev: DockerEvent) => void;
  /** After each (re)subscription: events may have been missed meanwhile. */
  onOpen?: () => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class EventFollower {
  readonly #o: EventFollowerOptions;
  #stream: NodeJS.ReadableStream | null = null;
  #closed = false;
  #since = Math.floor(Date.now() / 1000);
  #backoffMs = 250;

  constructor(o: EventFollowerOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    if (this.#closed) return;
    try {
      const stream = (await this.#o.docker.getEvents({ since: this.#since, filters: this.#o.filters })) as NodeJS.ReadableStream;
      if (this.#closed) return (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      this.#stream = stream;
      this.#backoffMs = 250;
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let ev: DockerEvent;
          try {
            ev = JSON.parse(line) as DockerEvent;
          } catch {
            continue; // partial or foreign line
          }
          if (ev.time) this.#since = ev.time;
          this.#o.onEvent(ev);
        }
      });
      const onEnd = () => {
        if (this.#stream !== stream) return;
        this.#stream = null;
        this.#again();
      };
      stream.on('end', onEnd);
      stream.on('error', onEnd);
      stream.on('close', onEnd);
      this.#o.onOpen?.();
    } catch (err) {
      this.#o.log?.('event stream failed', { error: (err as Error).message });
      this.#again();
    }
  }

  #again(): void {
    if (this.#closed) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, 5000);
    setTimeout(() => void this.start(), delay).unref();
  }

  /** Stops following. Idempotent. */
  close(): void {
    this.#closed = true;
    const s = this.#stream as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.#stream = null;
    s?.destroy?.();
  }
}
