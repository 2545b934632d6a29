/**
 * Number formats shared by RESULTS.md and the goals table. Pure. Missing values print as `—`.
 */

/** Microseconds: `µs` below 1 ms, `ms` above. */
export function us(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  if (Math.abs(v) < 1000) return `${Math.round(v)} µs`;
  return `${(v / 1000).toFixed(Math.abs(v) < 10_000 ? 2 : 1)} ms`;
}

/** Microseconds with a sign, for latency added over a reference. */
export function signedUs(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  return v > 0 ? `+${us(v)}` : us(v);
}

/** Requests per second with thousands separators. */
export function rps(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '—' : Math.round(v).toLocaleString('en-US');
}

/** A ratio: `0.52×`. */
export function times(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`;
}

/** KiB as MB with one decimal. */
export function mb(kb: number | null | undefined): string {
  return kb == null || !Number.isFinite(kb) ? '—' : `${(kb / 1024).toFixed(1)} MB`;
}

export function fixed(v: number | null | undefined, digits: number): string {
  return v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}
