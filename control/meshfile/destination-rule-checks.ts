/** Semantic checks of one DestinationRule that need no context (Istio's own validation rules). */
import { WARMUP_BALANCERS, type DestinationRuleSpec, type PortTrafficPolicySpec, type TrafficPolicySpec } from './destination-rule-spec.ts';
import type { DocReporter } from './doc-reporter.ts';
import { checkExportTo } from './export-to.ts';
import { checkSelector } from './security-checks.ts';
import { hasSelector } from './security-spec.ts';
import { hostProblem } from './host-resolver.ts';
import { childPath, indexPath } from './position-index.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function nonNegative(value: number | undefined, path: string, r: DocReporter): void {
  if (value !== undefined && value < 0) r.report('MESH_ERR_OUT_OF_RANGE', path, `must not be negative, got ${value}`);
}

function percent(value: number | undefined, path: string, r: DocReporter): void {
  if (value !== undefined && (value < 0 || value > 100)) r.report('MESH_ERR_OUT_OF_RANGE', path, `must be between 0 and 100, got ${value}`);
}

function checkPolicySections(tp: PortTrafficPolicySpec | TrafficPolicySpec, p: string, r: DocReporter): void {
  const lb = tp.loadBalancer;
  if (lb?.simple === 'LEAST_CONN') r.report('MESH_WARN_DEPRECATED', `${p}.loadBalancer.simple`, 'LEAST_CONN is deprecated by Istio: it means LEAST_REQUEST');
  const ch = lb?.consistentHash;
  if (ch) {
    const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const).filter((k) => ch[k] !== undefined);
    if (keys.length !== 1) r.report('MESH_ERR_ONE_OF', `${p}.loadBalancer.consistentHash`, `set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName${keys.length ? ` (got ${keys.join(', ')})` : ''}`);
  }
  if (lb?.warmupDurationSecs !== undefined) {
    r.report('MESH_WARN_DEPRECATED', `${p}.loadBalancer.warmupDurationSecs`, lb.warmup ? 'warmupDurationSecs is deprecated by Istio and ignored: warmup is set' : 'warmupDurationSecs is deprecated by Istio: use warmup.duration');
  }
  const warming = lb?.warmup ? 'warmup' : lb?.warmupDurationSecs !== undefined ? 'warmupDurationSecs' : undefined;
  if (warming && (ch || (lb?.simple && !WARMUP_BALANCERS.has(lb.simple)))) {
    r.report('MESH_WARN_UNSUPPORTED_VALUE', `${p}.loadBalancer.${warming}`, `slow start applies to ROUND_ROBIN and LEAST_REQUEST only (as in Istio); ${ch ? 'consistent hashing' : lb!.simple} ignores it`);
  }
  const cp = tp.connectionPool;
  nonNegative(cp?.tcp?.maxConnections, `${p}.connectionPool.tcp.maxConnections`, r);
  for (const k of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries'] as const) {
    nonNegative(cp?.http?.[k], `${p}.connectionPool.http.${k}`, r);
  }
  const od = tp.outlierDetection;
  if (od) {
    percent(od.maxEjectionPercent, `${p}.outlierDetection.maxEjectionPercent`, r);
    percent(od.minHealthPercent, `${p}.outlierDetection.minHealthPercent`, r);
  }
}

/** Checks a traffic policy and its port-level settings. */
export function checkTrafficPolicy(tp: TrafficPolicySpec | undefined, p: string, r: DocReporter): void {
  if (!tp) return;
  checkPolicySections(tp, p, r);
  const seen = new Map<number, number>();
  (tp.portLevelSettings ?? []).forEach((pl, i) => {
    const pp = indexPath(childPath(p, 'portLevelSettings'), i);
    const port = pl.port?.number;
    if (port === undefined) {
      r.report('MESH_ERR_MISSING_FIELD', `${pp}.port.number`, 'port-level settings need port.number');
    } else if (port < 1 || port > 65535) {
      r.report('MESH_ERR_OUT_OF_RANGE', `${pp}.port.number`, `port must be between 1 and 65535, got ${port}`);
    } else if (seen.has(port)) {
      r.report('MESH_ERR_BAD_VALUE', `${pp}.port.number`, `port ${port} already has settings at portLevelSettings[${seen.get(port)}]`);
    } else {
      seen.set(port, i);
    }
    checkPolicySections(pl, pp, r);
  });
}

/** Reports every context-free problem of a DestinationRule. */
export function checkDestinationRule(spec: DestinationRuleSpec, r: DocReporter): void {
  const problem = hostProblem(spec.host);
  if (problem) r.report('MESH_ERR_BAD_HOST', 'spec.host', problem);
  checkSelector(spec.workloadSelector, r, 'spec.workloadSelector');
  checkExportTo(spec.exportTo, r.namespace, r, hasSelector(spec.workloadSelector));
  checkTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', r);
  const names = new Map<string, number>();
  (spec.subsets ?? []).forEach((s, i) => {
    const p = `spec.subsets[${i}]`;
    if (!DNS_LABEL.test(s.name)) r.report('MESH_ERR_BAD_VALUE', `${p}.name`, `subset name "${s.name}" must be a DNS label (lower-case letters, digits, "-")`);
    const prev = names.get(s.name);
    if (prev !== undefined) r.report('MESH_ERR_DUPLICATE_NAME', `${p}.name`, `subset "${s.name}" is already defined at spec.subsets[${prev}]`);
    else names.set(s.name, i);
    checkTrafficPolicy(s.trafficPolicy, `${p}.trafficPolicy`, r);
  });
}
