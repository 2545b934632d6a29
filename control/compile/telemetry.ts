/**
 * What Istio Telemetry documents make of one workload's tracing and access log (pure), with Istio's
 * semantics (pilot's telemetry merge): the mesh-wide document (root namespace, no selector), then the
 * namespace's (no selector), then the workload's (a selector matching its labels) are applied in that
 * order, each tracing or accessLogging entry in turn, field by field: a field an entry sets replaces
 * what the levels above set, for the traffic its `match.mode` names (default both directions).
 * A selector in the root namespace is ignored; of several documents at one level the first in file
 * order applies (Istio takes the oldest).
 */
import { STANDARD_METRICS, type CustomTagSnapshot, type MeshSettingsSnapshot, type MetricOverridesSnapshot, type StandardMetric, type TelemetryDirection } from '../../wire/types.ts';
import { ACCESS_LOG_PROVIDER, forPrometheus, forProvider, type MeshObject, type TelemetryMetricsOverrideSpec, type TelemetryModeSpec, type TelemetrySpec } from '../meshfile/mesh-spec.ts';
import { compileAccessLogFilter } from '../../wire/access-log-filter.ts';
import { compileMetricTagValue } from '../../wire/metric-tag-value.ts';
import { durationMs } from '../meshfile/duration.ts';
import { hasSelector, labelsMatch, ROOT_NAMESPACE, type PolicyTarget } from './workload-selector.ts';

/** What the Telemetry documents set for one direction (absent: the Mesh document's defaults). */
export interface DirectionSettings {
  samplingPercent?: number;
  disableSpanReporting?: boolean;
  /** `enableIstioTags` as last set (Istio's default true). */
  enableIstioTags?: boolean;
  /** The last `customTags` set (Istio replaces them as a whole). */
  customTags?: NonNullable<NonNullable<TelemetrySpec['tracing']>[number]['customTags']>;
  accessLogDisabled?: boolean;
  /** The last access-log filter set (CEL), when it compiles to something dockmesh supports. */
  accessLogFilter?: string;
  /** The Prometheus provider's metric overrides, merged per metric (`disabled`, and per tag). */
  metrics?: MetricOverridesSnapshot;
}

/**
 * The standard metrics an override's `match` selects: `metric` (default ALL_METRICS, as when
 * `match` is absent); a `customMetric` or a gRPC message metric selects none of the agents'.
 */
export function matchedMetrics(match: TelemetryMetricsOverrideSpec['match']): readonly StandardMetric[] {
  if (match?.customMetric !== undefined) return [];
  const m = match?.metric ?? 'ALL_METRICS';
  if (m === 'ALL_METRICS') return STANDARD_METRICS;
  return (STANDARD_METRICS as readonly string[]).includes(m) ? [m as StandardMetric] : [];
}

/**
 * The tag overrides dockmesh applies, as the snapshot carries them: REMOVE → null, UPSERT (the
 * default operation) → its value, when the value is CEL dockmesh evaluates (a load-time warning
 * reported the others, which are left out).
 */
function tagOverrides(o: TelemetryMetricsOverrideSpec): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const [name, t] of Object.entries(o.tagOverrides ?? {})) {
    if (t.operation === 'REMOVE') out.push([name, null]);
    else if (t.value !== undefined && compileMetricTagValue(t.value).ok) out.push([name, t.value]);
  }
  return out;
}

export interface TelemetryResolution {
  /** Outbound requests: Istio's CLIENT. */
  outbound: DirectionSettings;
  /** Inbound requests: Istio's SERVER. */
  inbound: DirectionSettings;
  /** Whether any document applies to the workload. */
  applies: boolean;
  /** The last Prometheus `metrics[].reportingInterval` set (TCP byte counts of open connections). */
  tcpReportingIntervalMs?: number;
}

function directions(mode: TelemetryModeSpec | undefined, r: TelemetryResolution): DirectionSettings[] {
  if (mode === 'CLIENT') return [r.outbound];
  if (mode === 'SERVER') return [r.inbound];
  return [r.outbound, r.inbound];
}

/** The documents that apply to `target`, mesh-wide first. */
export function telemetryChain(target: PolicyTarget, docs: readonly MeshObject<TelemetrySpec>[], root = ROOT_NAMESPACE): MeshObject<TelemetrySpec>[] {
  const mesh = docs.find((d) => d.namespace === root && !hasSelector(d.spec.selector));
  const ns = target.namespace === root ? undefined : docs.find((d) => d.namespace === target.namespace && !hasSelector(d.spec.selector));
  const wl = docs.find((d) => d.namespace === target.namespace && d.namespace !== root && hasSelector(d.spec.selector) && labelsMatch(d.spec.selector, target.labels));
  return [mesh, ns, wl].filter((d): d is MeshObject<TelemetrySpec> => d !== undefined);
}

export function resolveTelemetry(target: PolicyTarget, docs: readonly MeshObject<TelemetrySpec>[], root = ROOT_NAMESPACE): TelemetryResolution {
  const r: TelemetryResolution = { outbound: {}, inbound: {}, applies: false };
  for (const d of telemetryChain(target, docs, root)) {
    r.applies = true;
    for (const t of d.spec.tracing ?? []) {
      for (const s of directions(t.match?.mode, r)) {
        if (t.randomSamplingPercentage !== undefined) s.samplingPercent = t.randomSamplingPercentage;
        if (t.disableSpanReporting !== undefined) s.disableSpanReporting = t.disableSpanReporting;
        if (t.customTags !== undefined) s.customTags = t.customTags;
        if (t.enableIstioTags !== undefined) s.enableIstioTags = t.enableIstioTags;
      }
    }
    for (const m of d.spec.metrics ?? []) {
      if (!forPrometheus(m.providers)) continue;
      if (m.reportingInterval !== undefined) r.tcpReportingIntervalMs = durationMs(m.reportingInterval);
      for (const o of m.overrides ?? []) {
        const metrics = matchedMetrics(o.match);
        const tags = tagOverrides(o);
        for (const s of directions(o.match?.mode, r)) {
          for (const name of metrics) {
            const cur = ((s.metrics ??= {})[name] ??= {});
            if (o.disabled !== undefined) cur.disabled = o.disabled;
            for (const [tag, value] of tags) (cur.tags ??= {})[tag] = value;
          }
        }
      }
    }
    for (const a of d.spec.accessLogging ?? []) {
      if (!forProvider(a.providers, ACCESS_LOG_PROVIDER)) continue;
      // A filter dockmesh cannot evaluate was reported at load time and is left out: every line is logged.
      const filter = a.filter && compileAccessLogFilter(a.filter.expression).ok ? a.filter.expression : undefined;
      for (const s of directions(a.match?.mode, r)) {
        if (a.disabled !== undefined) s.accessLogDisabled = a.disabled;
        if (filter !== undefined) s.accessLogFilter = filter;
      }
    }
  }
  return r;
}

/** The snapshot's per-direction tracing, from the resolution and the mesh-wide sampling percentage. */
export function tracingDirection(s: DirectionSettings, meshPercent: number): TelemetryDirection {
  const out: TelemetryDirection = { samplingPercent: s.samplingPercent ?? meshPercent, report: !(s.disableSpanReporting ?? false) };
  const tags: Record<string, CustomTagSnapshot> = {};
  for (const name of Object.keys(s.customTags ?? {}).sort()) {
    const t = s.customTags![name]!;
    if (t.literal) tags[name] = { literal: t.literal.value };
    else if (t.environment) tags[name] = t.environment.defaultValue === undefined ? { environment: t.environment.name } : { environment: t.environment.name, defaultValue: t.environment.defaultValue };
    else if (t.header) {
      const header = t.header.name.toLowerCase();
      tags[name] = t.header.defaultValue === undefined ? { header } : { header, defaultValue: t.header.defaultValue };
    }
  }
  if (Object.keys(tags).length) out.tags = tags;
  if (s.enableIstioTags === false) out.istioTags = false;
  return out;
}

/** The snapshot's access-log settings; undefined when no applying document sets `disabled` or a filter. */
export function accessLogOf(r: TelemetryResolution): MeshSettingsSnapshot['accessLog'] {
  const { outbound: o, inbound: i } = r;
  if (!r.applies || (o.accessLogDisabled === undefined && i.accessLogDisabled === undefined && o.accessLogFilter === undefined && i.accessLogFilter === undefined)) {
    return undefined;
  }
  return {
    outbound: !o.accessLogDisabled,
    inbound: !i.accessLogDisabled,
    ...(o.accessLogFilter !== undefined && { outboundFilter: o.accessLogFilter }),
    ...(i.accessLogFilter !== undefined && { inboundFilter: i.accessLogFilter }),
  };
}

/** The snapshot's metric overrides; undefined when no applying document overrides a metric. */
export function metricsOf(r: TelemetryResolution): MeshSettingsSnapshot['metrics'] {
  const out: NonNullable<MeshSettingsSnapshot['metrics']> = {};
  if (r.outbound.metrics) out.outbound = r.outbound.metrics;
  if (r.inbound.metrics) out.inbound = r.inbound.metrics;
  if (r.tcpReportingIntervalMs !== undefined) out.tcpReportingIntervalMs = r.tcpReportingIntervalMs;
  return Object.keys(out).length ? out : undefined;
}
