/**
 * Context-free checks of an Istio Telemetry document: the CEL of access-log filters and metric tag
 * values, and what of `metrics` dockmesh acts on. Errors are what Istio's validation refuses or
 * what is not CEL; warnings are valid Istio that dockmesh leaves out.
 */
import type { DocReporter } from './doc-reporter.ts';
import { ACCESS_LOG_PROVIDER, forPrometheus, forProvider, METRICS_PROVIDER, type TelemetrySpec } from './mesh-spec.ts';
import { childPath } from './position-index.ts';
import { compileAccessLogFilter } from '../../wire/access-log-filter.ts';
import { compileMetricTagValue } from '../../wire/metric-tag-value.ts';
import { STANDARD_METRICS } from '../../wire/types.ts';

/** Prometheus' label names; names starting with `__` are reserved for its own use. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkTelemetry(spec: TelemetrySpec, r: DocReporter): void {
  (spec.accessLogging ?? []).forEach((a, i) => {
    if (!forProvider(a.providers, ACCESS_LOG_PROVIDER)) {
      const names = a.providers!.map((p) => p.name).join(', ');
      r.report('MESH_WARN_UNSUPPORTED_VALUE', `spec.accessLogging[${i}].providers`, `the agents' access log is Istio's ${ACCESS_LOG_PROVIDER} provider; these settings are for ${names} and are not applied`);
      return;
    }
    if (!a.filter) return;
    const f = compileAccessLogFilter(a.filter.expression);
    if (f.ok) return;
    const at = `spec.accessLogging[${i}].filter.expression`;
    if (f.unsupported) r.report('MESH_WARN_UNSUPPORTED_VALUE', at, `${f.error}: this filter is not applied, every request is logged`);
    else r.report('MESH_ERR_BAD_VALUE', at, `not a CEL expression dockmesh can read: ${f.error}`);
  });
  (spec.metrics ?? []).forEach((m, i) => {
    const ours = forPrometheus(m.providers);
    if (!ours) {
      const names = m.providers!.map((p) => p.name).join(', ');
      r.report('MESH_WARN_UNSUPPORTED_VALUE', `spec.metrics[${i}].providers`, `the agents' metrics are the ${METRICS_PROVIDER} provider; these overrides are for ${names} and are not applied`);
    }
    (m.overrides ?? []).forEach((o, j) => {
      const at = `spec.metrics[${i}].overrides[${j}]`;
      const match = o.match;
      if (match?.metric !== undefined && match.customMetric !== undefined) {
        r.report('MESH_ERR_BAD_VALUE', `${at}.match.customMetric`, 'set either metric or customMetric, not both');
      } else if (ours && match?.customMetric !== undefined) {
        r.report('MESH_WARN_UNSUPPORTED_VALUE', `${at}.match.customMetric`, `the agents report only Istio's standard metrics; this override is not applied`);
      } else if (ours && match?.metric !== undefined && match.metric !== 'ALL_METRICS' && !(STANDARD_METRICS as readonly string[]).includes(match.metric)) {
        r.report('MESH_WARN_UNSUPPORTED_VALUE', `${at}.match.metric`, `the agents do not report ${match.metric} (gRPC message counts); this override is not applied`);
      }
      for (const [name, t] of Object.entries(o.tagOverrides ?? {})) {
        const tagAt = childPath(`${at}.tagOverrides`, name);
        if (!LABEL_NAME.test(name) || name.startsWith('__')) {
          r.report('MESH_ERR_BAD_VALUE', tagAt, `"${name}" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`);
          continue;
        }
        if (t.operation === 'REMOVE') {
          if (t.value !== undefined) r.report('MESH_ERR_BAD_VALUE', `${tagAt}.value`, 'a value may only be set when operation is UPSERT');
          continue;
        }
        if (t.value === undefined || t.value === '') {
          // Istio's CRD refuses an explicit UPSERT without a value; without `operation` it lets it
          // through (and the override sets nothing useful).
          if (t.operation === 'UPSERT') r.report('MESH_ERR_BAD_VALUE', tagAt, 'value must be set when operation is UPSERT');
          else r.report('MESH_WARN_UNSUPPORTED_VALUE', tagAt, 'no value and no operation (UPSERT by default): this tag override is not applied');
          continue;
        }
        const v = compileMetricTagValue(t.value);
        if (v.ok) continue;
        if (v.unsupported) r.report('MESH_WARN_UNSUPPORTED_VALUE', `${tagAt}.value`, `${v.error}: this tag override is not applied`);
        else r.report('MESH_ERR_BAD_VALUE', `${tagAt}.value`, `not a CEL expression dockmesh can read: ${v.error}`);
      }
    });
  });
}
