/**
 * Context-free checks of an Istio Telemetry document: the CEL of access-log filters and metric tag
 * values, and what of `metrics` dockmesh acts on. Errors are what Istio's validation refuses or
 * what is not CEL; warnings are valid Istio that dockmesh leaves out.
 */
import type { DocReporter } from './doc-reporter.ts';
import { ACCESS_LOG_PROVIDER, forProvider, METRICS_PROVIDER, type TelemetrySpec } from './mesh-spec.ts';
import { childPath } from './position-index.ts';
import { compileAccessLogFilter } from '../../wire/access-log-filter.ts';
import { compileMetricTagValue } from '../../wire/metric-tag-value.ts';
import { STANDARD_METRICS } from '../../wire/types.ts';

/** Prometheus' label names; names starting with `__` are reserved for its own use. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether an entry is for the agents' `provider`; if it is only for others, a warning says it is left out. */
function ours(r: DocReporter, at: string, providers: ReadonlyArray<{ name: string }> | undefined, provider: string, theirs: string): boolean {
  if (forProvider(providers, provider)) return true;
  const names = providers!.map((p) => p.name).join(', ');
  r.report('MESH_WARN_UNSUPPORTED_VALUE', at, `${theirs} Istio's ${provider} provider; these settings are for ${names} and are not applied`);
  return false;
}

/** A CEL expression that did not compile: valid CEL dockmesh cannot evaluate (a warning, `leftOut` says what), or not CEL (an error). */
function reportCel(r: DocReporter, at: string, c: { error: string; unsupported: boolean }, leftOut: string): void {
  if (c.unsupported) r.report('MESH_WARN_UNSUPPORTED_VALUE', at, `${c.error}: ${leftOut}`);
  else r.report('MESH_ERR_BAD_VALUE', at, `not a CEL expression dockmesh can read: ${c.error}`);
}

export function checkTelemetry(spec: TelemetrySpec, r: DocReporter): void {
  (spec.accessLogging ?? []).forEach((a, i) => {
    if (!ours(r, `spec.accessLogging[${i}].providers`, a.providers, ACCESS_LOG_PROVIDER, "the agents' access log is")) return;
    if (!a.filter) return;
    const f = compileAccessLogFilter(a.filter.expression);
    if (!f.ok) reportCel(r, `spec.accessLogging[${i}].filter.expression`, f, 'this filter is not applied, every request is logged');
  });
  (spec.metrics ?? []).forEach((m, i) => {
    const prometheus = ours(r, `spec.metrics[${i}].providers`, m.providers, METRICS_PROVIDER, "the agents' metrics are");
    (m.overrides ?? []).forEach((o, j) => {
      const at = `spec.metrics[${i}].overrides[${j}]`;
      const match = o.match;
      if (match?.metric !== undefined && match.customMetric !== undefined) {
        r.report('MESH_ERR_BAD_VALUE', `${at}.match.customMetric`, 'set either metric or customMetric, not both');
      } else if (prometheus && match?.customMetric !== undefined) {
        r.report('MESH_WARN_UNSUPPORTED_VALUE', `${at}.match.customMetric`, `the agents report only Istio's standard metrics; this override is not applied`);
      } else if (prometheus && match?.metric !== undefined && match.metric !== 'ALL_METRICS' && !(STANDARD_METRICS as readonly string[]).includes(match.metric)) {
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
        if (!v.ok) reportCel(r, `${tagAt}.value`, v, 'this tag override is not applied');
      }
    });
  });
}
