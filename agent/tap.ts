/**
 * Live requests for `mesh tap` and `mesh top` (Linkerd's tap): while someone listens on the admin
 * server's `/tap`, each finished request (and each opaque TCP connection, and each Upgrade) is sent
 * to them as one JSON line, the access log's fields. With no listener the data path pays one
 * boolean test per request. A listener that reads slower than traffic comes loses events (counted)
 * rather than growing the agent's memory. docs/observability.md, "Tap".
 */
import type { ServerResponse } from 'node:http';
import { nodeCrypto } from './lazy-builtins.ts';
import { accessLogLine } from './access-log-line.ts';
import type { AccessLogEntry } from './access-log.ts';

/** Bytes a listener may have queued before its events are dropped. */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** At most this many listeners at once (each is a control server's tap request). */
export const MAX_TAP_LISTENERS = 16;

export class Tap {
  /** Someone listens: the data path builds and publishes entries. */
  active = false;
  /** Events not sent because a listener's queue was full. */
  dropped = 0;
  readonly #listeners = new Set<ServerResponse>();

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Streams events to `res` until it closes; false when there are too many listeners already. */
  listen(res: ServerResponse): boolean {
    if (this.#listeners.size >= MAX_TAP_LISTENERS) return false;
    this.#listeners.add(res);
    this.active = true;
    res.once('close', () => {
      this.#listeners.delete(res);
      this.active = this.#listeners.size > 0;
    });
    return true;
  }

  publish(entry: AccessLogEntry): void {
    const line = accessLogLine(entry);
    for (const res of this.#listeners) {
      if (res.writableLength > MAX_QUEUED_BYTES) this.dropped++;
      else res.write(line);
    }
  }

  /** Ends every listener's stream (the agent stops). */
  close(): void {
    for (const res of this.#listeners) res.end();
  }
}

/** The hash a snapshot carries (`mesh.tapKeyHash`): SHA-256 of the control server's tap key, hex. */
export function tapKeyHash(key: string): string {
  return nodeCrypto().createHash('sha256').update(key).digest('hex');
}

/** An `Authorization: Bearer <key>` header whose key hashes to `hash`. */
export function tapAuthorized(authorization: string | undefined, hash: string | undefined): boolean {
  if (!hash || !authorization?.startsWith('Bearer ')) return false;
  const got = Buffer.from(tapKeyHash(authorization.slice(7)), 'hex');
  const want = Buffer.from(hash, 'hex');
  return got.length === want.length && nodeCrypto().timingSafeEqual(got, want);
}
