/**
 * Pushes full snapshots to agents over long-lived NDJSON streams, one per agent, through a
 * one-slot outbox (latest wins). A stream that stays backed up past `slowMs` is closed: the
 * agent reconnects and receives full state (linkerd's endpoint translator does the same).
 */
import type { ServerResponse } from 'node:http';
import type { AckRequest, AgentSnapshot, StreamMessage } from '../../wire/types.ts';
import type { SnapshotBody } from '../compile/snapshot.ts';

interface Channel {
  res: ServerResponse;
  pending: string | null;
  slowTimer: NodeJS.Timeout | null;
}

/** Per-agent versioned snapshots and the streams that carry them. */
export class AgentHub {
  readonly #current = new Map<string, AgentSnapshot>();
  readonly #channels = new Map<string, Channel>();
  readonly #slowMs: number;
  readonly #ping: NodeJS.Timeout;
  /** Called when an agent connects or disconnects, and on ACK/NACK. */
  onChange: (container: string) => void = () => {};

  constructor(opts: { slowMs?: number; pingMs?: number } = {}) {
    this.#slowMs = opts.slowMs ?? 5000;
    this.#ping = setInterval(() => this.#broadcastPing(), opts.pingMs ?? 15_000);
    this.#ping.unref();
  }

  /** Sets the agent's snapshot; a new version only when the content hash changed. Returns it. */
  publish(container: string, body: SnapshotBody): AgentSnapshot {
    const cur = this.#current.get(container);
    if (cur && cur.hash === body.hash) return cur;
    const next: AgentSnapshot = { version: (cur?.version ?? 0) + 1, ...body };
    this.#current.set(container, next);
    this.#send(container, { type: 'snapshot', snapshot: next });
    return next;
  }

  snapshot(container: string): AgentSnapshot | undefined {
    return this.#current.get(container);
  }

  connected(container: string): boolean {
    return this.#channels.has(container);
  }

  /** Takes over `res` as the agent's stream; replaces an older stream of the same agent. */
  attach(container: string, res: ServerResponse): void {
    this.#channels.get(container)?.res.destroy();
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.socket?.setNoDelay(true);
    const ch: Channel = { res, pending: null, slowTimer: null };
    this.#channels.set(container, ch);
    res.on('close', () => {
      if (ch.slowTimer) clearTimeout(ch.slowTimer);
      if (this.#channels.get(container) === ch) {
        this.#channels.delete(container);
        this.onChange(container);
      }
    });
    const cur = this.#current.get(container);
    if (cur) this.#send(container, { type: 'snapshot', snapshot: cur });
    this.onChange(container);
  }

  /** Drops everything of an agent whose container is gone. */
  forget(container: string): void {
    this.#channels.get(container)?.res.destroy();
    this.#channels.delete(container);
    this.#current.delete(container);
  }

  #send(container: string, msg: StreamMessage): void {
    const ch = this.#channels.get(container);
    if (!ch) return;
    const line = JSON.stringify(msg) + '\n';
    if (ch.slowTimer) {
      // Backed up: keep only the latest snapshot (pings are dropped).
      if (msg.type === 'snapshot') ch.pending = line;
      return;
    }
    if (ch.res.write(line)) return;
    ch.slowTimer = setTimeout(() => ch.res.destroy(), this.#slowMs);
    ch.res.once('drain', () => {
      if (ch.slowTimer) clearTimeout(ch.slowTimer);
      ch.slowTimer = null;
      const pending = ch.pending;
      ch.pending = null;
      if (pending) ch.res.write(pending);
    });
  }

  #broadcastPing(): void {
    for (const c of this.#channels.keys()) this.#send(c, { type: 'ping', at: Date.now() });
  }

  /** Validates an ACK body. */
  static parseAck(body: unknown): AckRequest | null {
    if (!body || typeof body !== 'object') return null;
    const b = body as Record<string, unknown>;
    if (typeof b.version !== 'number' || typeof b.ok !== 'boolean') return null;
    return { version: b.version, ok: b.ok, error: typeof b.error === 'string' ? b.error : undefined };
  }

  /** Closes every stream. Idempotent. */
  close(): void {
    clearInterval(this.#ping);
    for (const ch of this.#channels.values()) ch.res.destroy();
    this.#channels.clear();
  }
}
