/**
 * Istio Telemetry's metric overrides as the agent applies them (pure): per direction and metric,
 * whether it is reported and how its labels are rendered (REMOVE drops a label, UPSERT sets a
 * standard label's value in place or adds a label after the standard ones, in name order).
 */
import type { MetricOverridesSnapshot, StandardMetric } from '../wire/types.ts';
import { compileMetricTagValue, UNKNOWN_TAG_VALUE, type MetricRequest } from '../wire/metric-tag-value.ts';
import { escapeLabelValue } from './metrics/exposition.ts';

/** How one metric of one direction is reported. */
export interface MetricPlan {
  readonly disabled: boolean;
  /** Label name → null (removed), a constant, or a function of the request. */
  readonly tags: ReadonlyMap<string, null | string | ((r: MetricRequest) => string)>;
  /** The labels added after the standard ones (UPSERTs of other names), in name order. */
  readonly added: readonly string[];
}

/** One direction's plans; `dynamic`: some HTTP metric's label reads the request. */
export interface DirectionPlan {
  readonly metrics: Partial<Record<StandardMetric, MetricPlan>>;
  readonly dynamic: boolean;
}

const HTTP_METRICS: readonly StandardMetric[] = ['REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE'];

/**
 * Compiles one direction's overrides; undefined when there are none (the fast path). `standard` is
 * the HTTP metrics' label names in order (a TCP metric's are a subset of them).
 */
export function directionPlan(o: MetricOverridesSnapshot | undefined, standard: readonly string[]): DirectionPlan | undefined {
  if (!o || Object.keys(o).length === 0) return undefined;
  const metrics: Partial<Record<StandardMetric, MetricPlan>> = {};
  let dynamic = false;
  for (const [name, m] of Object.entries(o) as Array<[StandardMetric, NonNullable<MetricOverridesSnapshot[StandardMetric]>]>) {
    const tags = new Map<string, null | string | ((r: MetricRequest) => string)>();
    for (const [tag, value] of Object.entries(m.tags ?? {})) {
      if (value === null) {
        tags.set(tag, null);
        continue;
      }
      const v = compileMetricTagValue(value);
      if (!v.ok) continue; // the control server reported it and left it out; an older one may not have
      tags.set(tag, v.value ?? v.constant);
      if (v.value && HTTP_METRICS.includes(name)) dynamic = true;
    }
    const added = [...tags.keys()].filter((t) => tags.get(t) !== null && !standard.includes(t)).sort();
    metrics[name] = { disabled: m.disabled === true, tags, added };
  }
  return { metrics, dynamic };
}

/**
 * The label text of one metric's series: `values` are the standard labels' values in `names`
 * order; `req` the request (absent for TCP metrics: a value that reads it is `unknown`).
 */
export function renderLabels(plan: MetricPlan, names: readonly string[], values: readonly string[], req: MetricRequest | undefined): string {
  let text = '';
  const add = (name: string, v: null | string | ((r: MetricRequest) => string) | undefined, own: string | undefined): void => {
    if (v === null) return;
    const value = v === undefined ? own! : typeof v === 'string' ? v : req ? v(req) : UNKNOWN_TAG_VALUE;
    text += `${text ? ',' : ''}${name}="${escapeLabelValue(value)}"`;
  };
  for (let i = 0; i < names.length; i++) add(names[i]!, plan.tags.get(names[i]!), values[i]);
  for (const name of plan.added) add(name, plan.tags.get(name), undefined);
  return text;
}

/** The values of the request-reading labels of the direction's HTTP metrics, as a series key. */
export function dynamicKey(plan: DirectionPlan, req: MetricRequest): string {
  let key = '';
  for (const m of HTTP_METRICS) {
    const p = plan.metrics[m];
    if (!p) continue;
    for (const v of p.tags.values()) if (typeof v === 'function') key += `\u0000${v(req)}`;
  }
  return key;
}
