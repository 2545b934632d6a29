/**
 * Durations as Istio writes them: Go-style duration strings (`30s`, `1.5s`, `100ms`, `1m30s`, `1h`),
 * the form the CRDs check with CEL's `duration()`. A bare number has no unit and is rejected.
 */

/** JSON Schema pattern of a duration (anchored). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(h|m|s|ms|us|µs|ns))+$';

const PART = /([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/y;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** Parses a duration to milliseconds (fractions kept), or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

/** Milliseconds of a duration already validated by the loader, rounded to whole milliseconds. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new TypeError(`not a duration: ${text}`);
  return Math.round(ms);
}
