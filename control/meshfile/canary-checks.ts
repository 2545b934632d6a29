/** Semantic checks of a Flagger Canary and of dockmesh's Mesh kind. */
import type { CanarySpec } from './canary-spec.ts';
import type { DocReporter } from './doc-reporter.ts';
import { hostProblem, parseHost, serviceKey } from './host-resolver.ts';
import { checkHttpMatches } from './http-match-checks.ts';
import type { MeshSettingsSpec, MetricTemplateSpec } from './mesh-spec.ts';
import { childPath, indexPath } from './position-index.ts';
import { checkRetries } from './virtual-service-checks.ts';
import type { HttpMatchRequestSpec } from './virtual-service-spec.ts';
import { checkTrafficPolicy } from './destination-rule-checks.ts';

/** RFC 6265's cookie-name: an RFC 7230 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Flagger's built-in metrics, which dockmesh computes from its agents' Istio-named metrics. */
export const BUILTIN_METRICS = new Set(['request-success-rate', 'request-duration']);

function range(v: number | undefined, min: number, max: number, path: string, r: DocReporter): void {
  if (v !== undefined && (v < min || v > max)) r.report('MESH_ERR_OUT_OF_RANGE', path, `must be between ${min} and ${max}, got ${v}`);
}

export function checkCanary(spec: CanarySpec, r: DocReporter): void {
  const problem = hostProblem(spec.targetRef.name);
  if (problem) r.report('MESH_ERR_BAD_HOST', 'spec.targetRef.name', problem);
  if (!spec.service) {
    r.report('MESH_ERR_MISSING_FIELD', 'spec.service', 'a Canary needs service (with port): Flagger routes the target\'s port through it', 'key');
  } else {
    const port = spec.service.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) r.report('MESH_ERR_OUT_OF_RANGE', 'spec.service.port', `port must be an integer between 1 and 65535, got ${port}`);
    checkHttpMatches(spec.service.match, 'spec.service.match', r);
    checkRetries(spec.service.retries, 'spec.service.retries', r);
    checkTrafficPolicy(spec.service.trafficPolicy, 'spec.service.trafficPolicy', r);
  }
  const a = spec.analysis;
  range(a.threshold, 1, Number.MAX_SAFE_INTEGER, 'spec.analysis.threshold', r);
  range(a.maxWeight, 1, 100, 'spec.analysis.maxWeight', r);
  range(a.stepWeight, 1, 100, 'spec.analysis.stepWeight', r);
  range(a.mirrorWeight, 0, 100, 'spec.analysis.mirrorWeight', r);
  range(a.stepWeightPromotion, 1, 100, 'spec.analysis.stepWeightPromotion', r);
  (a.stepWeights ?? []).forEach((w, i) => {
    range(w, 1, 100, indexPath('spec.analysis.stepWeights', i), r);
    if (i > 0 && w <= a.stepWeights![i - 1]!) r.report('MESH_ERR_BAD_VALUE', indexPath('spec.analysis.stepWeights', i), `step weights must increase, got ${a.stepWeights![i - 1]} then ${w}`);
  });
  (a.metrics ?? []).forEach((m, i) => {
    const p = indexPath('spec.analysis.metrics', i);
    if (!BUILTIN_METRICS.has(m.name) && !m.templateRef && !m.query) {
      r.report('MESH_WARN_UNSUPPORTED_VALUE', childPath(p, 'name'), `metric "${m.name}" is not one of Flagger's built-in metrics (${[...BUILTIN_METRICS].join(', ')}) and has no templateRef or query; dockmesh does not check it`);
    }
    if (m.thresholdRange?.min !== undefined && m.thresholdRange.max !== undefined && m.thresholdRange.min > m.thresholdRange.max) {
      r.report('MESH_ERR_BAD_VALUE', childPath(p, 'thresholdRange'), `min ${m.thresholdRange.min} is above max ${m.thresholdRange.max}`);
    }
  });
  checkHttpMatches(a.match as readonly HttpMatchRequestSpec[] | undefined, 'spec.analysis.match', r);
  const sa = a.sessionAffinity;
  if (sa) {
    if (!COOKIE_NAME.test(sa.cookieName)) r.report('MESH_ERR_BAD_VALUE', 'spec.analysis.sessionAffinity.cookieName', `"${sa.cookieName}" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`);
    if (sa.primaryCookieName !== undefined && !COOKIE_NAME.test(sa.primaryCookieName)) {
      r.report('MESH_ERR_BAD_VALUE', 'spec.analysis.sessionAffinity.primaryCookieName', `"${sa.primaryCookieName}" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`);
    }
    if (sa.primaryCookieName === sa.cookieName) r.report('MESH_ERR_BAD_VALUE', 'spec.analysis.sessionAffinity.primaryCookieName', 'the primary cookie needs a name of its own (it is cookieName)');
    if (sa.maxAge !== undefined && !(Number.isInteger(sa.maxAge) && sa.maxAge >= 0)) r.report('MESH_ERR_OUT_OF_RANGE', 'spec.analysis.sessionAffinity.maxAge', `maxAge is whole seconds, 0 or more, got ${sa.maxAge}`);
    for (const k of ['domain', 'path'] as const) {
      const v = sa[k];
      if (v !== undefined && /[;\r\n\x00-\x1f\x7f]/.test(v)) r.report('MESH_ERR_BAD_VALUE', `spec.analysis.sessionAffinity.${k}`, `a cookie attribute cannot hold ";" or control characters`);
    }
  }
  (a.webhooks ?? []).forEach((w, i) => {
    const p = indexPath('spec.analysis.webhooks', i);
    let url: URL | undefined;
    try {
      url = new URL(w.url);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) r.report('MESH_ERR_BAD_VALUE', childPath(p, 'url'), `a webhook URL is http:// or https://, got "${w.url}"`);
  });
}

/** Flagger's template actions dockmesh renders (metric-template.ts does the rendering). */
const TEMPLATE_ACTION = /^\s*(name|namespace|target|service|ingress|interval|variables\.[A-Za-z_][A-Za-z0-9_]*)\s*$/;

export function checkMetricTemplate(spec: MetricTemplateSpec, r: DocReporter): void {
  if (spec.provider.type !== 'prometheus') {
    r.report('MESH_ERR_BAD_VALUE', 'spec.provider.type', `provider "${spec.provider.type}" is not supported: dockmesh runs prometheus queries`);
  }
  for (const m of spec.query.matchAll(/\{\{(.*?)\}\}/gs)) {
    if (!TEMPLATE_ACTION.test(m[1]!)) {
      r.report('MESH_ERR_BAD_VALUE', 'spec.query', `"{{${m[1]}}}" is not a template variable: use {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ interval }} or {{ variables.<key> }}`);
    }
  }
}

export function checkMeshSettings(spec: MeshSettingsSpec, r: DocReporter, namespace: string): void {
  const seen = new Map<string, number>();
  (spec.rateLimits ?? []).forEach((l, i) => {
    const p = `spec.rateLimits[${i}]`;
    const problem = hostProblem(l.service);
    if (problem) {
      r.report('MESH_ERR_BAD_HOST', `${p}.service`, problem);
      return;
    }
    const key = serviceKey(parseHost(l.service, namespace));
    if (seen.has(key)) r.report('MESH_ERR_DUPLICATE_NAME', `${p}.service`, `${key} already has a rate limit at spec.rateLimits[${seen.get(key)}]`);
    else seen.set(key, i);
    if (l.tokensPerFill !== undefined && l.maxTokens !== undefined && l.tokensPerFill > l.maxTokens) {
      r.report('MESH_ERR_OUT_OF_RANGE', `${p}.tokensPerFill`, `tokensPerFill (${l.tokensPerFill}) cannot exceed maxTokens (${l.maxTokens})`);
    }
  });
}
