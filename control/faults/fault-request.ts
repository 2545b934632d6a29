/** Pure: validates the body of POST /v1/faults (`mesh fault`). */
import type { FaultSnapshot } from '../../wire/types.ts';

export interface FaultRequest {
  service: string;
  fault: FaultSnapshot;
  forMs: number;
}

/** Longest a temporary fault may last: an hour. */
export const MAX_FAULT_MS = 3_600_000;

export function parseFaultRequest(body: unknown): FaultRequest | { error: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.service !== 'string' || !b.service) return { error: 'service is required' };
  const percent = b.percent === undefined ? 100 : Number(b.percent);
  if (!(percent > 0 && percent <= 100)) return { error: 'percent must be in (0, 100]' };
  const forMs = Number(b.forMs);
  if (!(forMs > 0 && forMs <= MAX_FAULT_MS)) return { error: `forMs must be in (0, ${MAX_FAULT_MS}]` };
  const fault: FaultSnapshot = {};
  if (b.delayMs !== undefined) {
    const d = Number(b.delayMs);
    if (!(d > 0 && d <= 600_000)) return { error: 'delayMs must be in (0, 600000]' };
    fault.delay = { fixedDelayMs: d, percent };
  }
  if (b.abortStatus !== undefined) {
    const s = Number(b.abortStatus);
    if (!(Number.isInteger(s) && s >= 200 && s <= 599)) return { error: 'abortStatus must be an HTTP status 200-599' };
    fault.abort = { httpStatus: s, percent };
  }
  if (!fault.delay && !fault.abort) return { error: 'give delayMs or abortStatus (or both)' };
  return { service: b.service, fault, forMs };
}
