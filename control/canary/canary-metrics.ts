/**
 * Pure: Flagger's built-in Istio metrics, computed from the canary replicas' own agents' metrics
 * (their `reporter="destination"` series), as Flagger's PromQL computes them from Prometheus:
 *
 * - `request-success-rate`: 100 × non-5xx requests ÷ all requests over the metric's interval;
 * - `request-duration`: the 99th percentile of `istio_request_duration_milliseconds` over the
 *   interval (histogram_quantile's interpolation), truncated to whole milliseconds.
 *
 * No request in the window is "no values found": the check fails, as Flagger's does.
 */

/** One agent's cumulative counters at one moment. */
export interface MetricSample {
  /** `istio_requests_total{reporter="destination"}`, summed. */
  requests: number;
  /** The same, for response codes that are not 5xx. */
  ok: number;
  /** `istio_request_duration_milliseconds_bucket{reporter="destination"}` by `le` (Infinity for +Inf), summed. */
  buckets: Map<number, number>;
}

const LINE = /^(istio_requests_total|istio_request_duration_milliseconds_bucket)\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) out[m[1]!] = m[2]!;
  return out;
}

/** Reads an agent's `/metrics` text; `service`: only series whose destination is this service. */
export function parseSample(text: string, service?: string): MetricSample {
  const s: MetricSample = { requests: 0, ok: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = labelsOf(m[2]!);
    if (labels.reporter !== 'destination') continue;
    if (service !== undefined && labels.destination_service_name !== undefined && labels.destination_service_name !== service) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    if (m[1] === 'istio_requests_total') {
      s.requests += value;
      if (!/^5/.test(labels.response_code ?? '')) s.ok += value;
    } else {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      if (!Number.isNaN(le)) s.buckets.set(le, (s.buckets.get(le) ?? 0) + value);
    }
  }
  return s;
}

/** What happened between two samples of one agent; a counter that went down restarted from zero. */
export function delta(now: MetricSample, before: MetricSample | undefined): MetricSample {
  if (!before) return now;
  const reset = now.requests < before.requests;
  if (reset) return now;
  const buckets = new Map<number, number>();
  for (const [le, v] of now.buckets) buckets.set(le, Math.max(0, v - (before.buckets.get(le) ?? 0)));
  return { requests: now.requests - before.requests, ok: now.ok - before.ok, buckets };
}

/** Sums samples (the canary's replicas). */
export function sum(samples: Iterable<MetricSample>): MetricSample {
  const out: MetricSample = { requests: 0, ok: 0, buckets: new Map() };
  for (const s of samples) {
    out.requests += s.requests;
    out.ok += s.ok;
    for (const [le, v] of s.buckets) out.buckets.set(le, (out.buckets.get(le) ?? 0) + v);
  }
  return out;
}

/** Percentage of non-5xx answers; undefined: no request (no values found). */
export function successRate(d: MetricSample): number | undefined {
  return d.requests > 0 ? (100 * d.ok) / d.requests : undefined;
}

/**
 * Prometheus's histogram_quantile over cumulative buckets: linear interpolation inside the bucket
 * the rank falls in (from 0 for the first), the highest finite bound when it falls in +Inf.
 * Undefined: no observation.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  if (sorted.length === 0) return undefined;
  const total = sorted.at(-1)![0] === Infinity ? sorted.at(-1)![1] : Math.max(...sorted.map(([, v]) => v));
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      if (count === prevCount) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** Flagger's request-duration: the p99 in whole milliseconds; undefined: no request. */
export function p99Ms(d: MetricSample): number | undefined {
  const v = histogramQuantile(0.99, d.buckets);
  return v === undefined ? undefined : Math.trunc(v);
}

/** One metric's verdict. */
export interface MetricCheck {
  metric: string;
  /** Undefined: no values found. */
  value: number | undefined;
  min?: number;
  max?: number;
  ok: boolean;
  /** Why there is no value: the template's query failed to render or run (custom metrics). */
  error?: string;
}

/** Checks a value against its range, both bounds inclusive (Flagger fails `val < min || val > max`); no value fails. */
function inRange(metric: string, value: number | undefined, min: number | undefined, max: number | undefined): MetricCheck {
  const ok = value !== undefined && !(min !== undefined && value < min) && !(max !== undefined && value > max);
  return { metric, value, ...(min !== undefined && { min }), ...(max !== undefined && { max }), ok };
}

/**
 * Checks a built-in metric against its range (both bounds inclusive, as Flagger's `val < min ||
 * val > max` fails). The deprecated `threshold` is a minimum for the success rate and a maximum
 * for the duration, used only without `thresholdRange`.
 */
export function checkMetric(
  m: { name: string; threshold?: number; thresholdRange?: { min?: number; max?: number } },
  d: MetricSample,
): MetricCheck {
  const value = m.name === 'request-success-rate' ? successRate(d) : p99Ms(d);
  let min = m.thresholdRange?.min;
  let max = m.thresholdRange?.max;
  if (!m.thresholdRange && m.threshold !== undefined) {
    if (m.name === 'request-success-rate') min = m.threshold;
    else max = m.threshold;
  }
  return inRange(m.name, value, min, max);
}

/**
 * Checks a custom metric's value (a MetricTemplate's query). Without `thresholdRange` Flagger
 * fails a value above the deprecated `threshold`, which defaults to 0.
 */
export function checkTemplateMetric(
  m: { name: string; threshold?: number; thresholdRange?: { min?: number; max?: number } },
  result: { value: number | undefined } | { error: string },
): MetricCheck {
  const min = m.thresholdRange?.min;
  const max = m.thresholdRange ? m.thresholdRange.max : (m.threshold ?? 0);
  if ('error' in result) return { ...inRange(m.name, undefined, min, max), error: result.error };
  return inRange(m.name, result.value, min, max);
}
