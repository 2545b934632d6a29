/**
 * Percentile and median math for latency samples. Pure.
 *
 * Percentiles use the nearest-rank definition (the value at rank ceil(p/100 * n) of the sorted
 * samples), so every reported figure is a latency that some request really had. Medians of an even
 * count average the two middle values: they summarise rounds, not single requests.
 */

/** Latency summary in microseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of samples already sorted ascending. `p` in [0, 100]. NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  if (p === 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** Nearest-rank percentile of unsorted samples (copies, does not reorder the input). */
export function percentile(samples: ArrayLike<number>, p: number): number {
  return percentileSorted(sortedCopy(samples), p);
}

/** Median of a set of values (mean of the two middle ones for an even count). NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const s = finite.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** p50/p90/p99/max/mean of raw samples. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const s = sortedCopy(samples);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return {
    count: s.length,
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p99: percentileSorted(s, 99),
    max: s.length ? s[s.length - 1]! : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

function sortedCopy(samples: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(samples as ArrayLike<number>);
  s.sort();
  return s;
}
