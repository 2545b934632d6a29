/**
 * When a failed export is sent again (pure), as OTLP/HTTP asks of a client: an answer of 429, 502,
 * 503 or 504 after its `Retry-After` when it gave one, else with exponential backoff, and so a
 * collector that could not be reached (refused, unreachable, not resolved yet: one starting up or
 * restarting); never another answer (400: the collector will not take that body) and never an
 * export that timed out (the collector may have taken it). A batch waits 3 retries at most, so the
 * export queue moves on: while it waits, new spans fill the other batches or are dropped. The
 * sender rejects with {@link ExportRejected} for an answer; connection errors keep their codes.
 */

/** A collector's answer other than 2xx, with its `Retry-After` (ms) when it sent one. */
export class ExportRejected extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, retryAfterMs: number | undefined) {
    super(`collector answered ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A `Retry-After` value (delay-seconds or an HTTP-date) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names its day and month (Date.parse alone reads "-1" or "1.5" as dates).
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Retries of one batch at most. */
export const MAX_EXPORT_RETRIES = 3;
/** Backoff before retry n (0-based): 250 ms, 500 ms, 1 s. */
const BACKOFF_MS = 250;
/** A `Retry-After` longer than this is cut to it: the batch holds the export queue meanwhile. */
export const MAX_RETRY_WAIT_MS = 5000;

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Errors of a connection that did not get to carry the request. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** How long to wait before sending a batch again after `err`, its `retries`-th failure (0-based); undefined: drop it. */
export function exportRetryDelay(err: unknown, retries: number): number | undefined {
  if (retries >= MAX_EXPORT_RETRIES) return undefined;
  const backoff = BACKOFF_MS * 2 ** retries;
  if (err instanceof ExportRejected) {
    if (!RETRYABLE_STATUS.has(err.status)) return undefined;
    return err.retryAfterMs === undefined ? backoff : Math.min(err.retryAfterMs, MAX_RETRY_WAIT_MS);
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code) ? backoff : undefined;
}
