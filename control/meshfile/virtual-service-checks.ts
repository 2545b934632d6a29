/**
 * Semantic checks of one VirtualService that need no context: what Istio's own validation rejects
 * (route actions, weights, retry conditions, fault and redirect values) and what dockmesh adds
 * (regexes JavaScript can run, shadowed routes). Contextual checks are in reference-checks.ts.
 */
import { isIP } from 'node:net';
import type { DocReporter } from './doc-reporter.ts';
import { isDelegate } from './delegate.ts';
import { checkExportTo } from './export-to.ts';
import { hostProblem } from './host-resolver.ts';
import { checkHttpMatches, checkRegex, isCatchAll } from './http-match-checks.ts';
import { childPath, indexPath } from './position-index.ts';
import type { DestinationSpec, HttpRetrySpec, HttpRouteSpec, PercentSpec, VirtualServiceSpec } from './virtual-service-spec.ts';

/** Envoy's retry policies (x-envoy-retry-on and x-envoy-retry-grpc-on), as Istio accepts them. */
export const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/** True when the VirtualService only applies to gateways (no `mesh` in a non-empty `gateways`). */
export function gatewayOnly(spec: VirtualServiceSpec): boolean {
  return !!spec.gateways && spec.gateways.length > 0 && !spec.gateways.includes('mesh');
}

export function checkDestination(d: DestinationSpec | undefined, path: string, r: DocReporter): void {
  if (!d) return;
  const problem = hostProblem(d.host);
  if (problem) r.report('MESH_ERR_BAD_HOST', childPath(path, 'host'), problem);
  const port = d.port?.number;
  if (port !== undefined && (port < 1 || port > 65535)) r.report('MESH_ERR_OUT_OF_RANGE', `${path}.port.number`, `port must be between 1 and 65535, got ${port}`);
  if (d.subset === '') r.report('MESH_ERR_BAD_VALUE', childPath(path, 'subset'), 'subset cannot be empty');
}

/** Weights of a route with several destinations must sum to 100 (dockmesh is stricter than Istio here). */
export function checkWeights(route: ReadonlyArray<{ destination: DestinationSpec; weight?: number }> | undefined, path: string, r: DocReporter): void {
  if (!route) return;
  route.forEach((d, i) => {
    const p = indexPath(path, i);
    checkDestination(d.destination, childPath(p, 'destination'), r);
    if (d.weight !== undefined && (d.weight < 0 || d.weight > 100)) r.report('MESH_ERR_OUT_OF_RANGE', childPath(p, 'weight'), `weight must be between 0 and 100, got ${d.weight}`);
  });
  if (route.length > 1) {
    const sum = route.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (sum !== 100) {
      const parts = route.map((d) => String(d.weight ?? 0)).join(' + ');
      r.report('MESH_ERR_WEIGHT_SUM', path, `weights of the ${route.length} destinations must sum to 100, got ${parts} = ${sum}`, 'key');
    }
  }
}

function checkPercent(p: PercentSpec | undefined, path: string, r: DocReporter): void {
  const v = p?.value;
  if (v !== undefined && (v < 0 || v > 100)) r.report('MESH_ERR_OUT_OF_RANGE', childPath(path, 'value'), `percentage must be between 0 and 100, got ${v}`);
}

/** Checks a retryOn list: Envoy policy names, or HTTP status codes. */
export function checkRetries(retries: HttpRetrySpec | undefined, path: string, r: DocReporter): void {
  if (!retries) return;
  if (retries.attempts !== undefined && retries.attempts < 0) r.report('MESH_ERR_OUT_OF_RANGE', childPath(path, 'attempts'), `attempts cannot be negative, got ${retries.attempts}`);
  if (retries.retryOn === undefined) return;
  for (const raw of retries.retryOn.split(',')) {
    const t = raw.trim();
    if (/^\d+$/.test(t) ? Number(t) >= 100 && Number(t) <= 599 : RETRY_ON.has(t)) continue;
    r.report('MESH_ERR_BAD_RETRY_ON', childPath(path, 'retryOn'), `"${t}" is not a retry condition: use ${[...RETRY_ON].join(', ')} or an HTTP status code`);
  }
}

function checkActions(h: HttpRouteSpec, p: string, r: DocReporter): void {
  const actions = (['route', 'redirect', 'directResponse', 'delegate'] as const).filter((a) => (a === 'route' ? (h.route?.length ?? 0) > 0 : h[a] !== undefined));
  if (actions.length === 0) r.report('MESH_ERR_ROUTE_ACTION', p, 'an HTTP route needs one of route, redirect, directResponse, delegate');
  if (actions.length > 1) r.report('MESH_ERR_ROUTE_ACTION', p, `an HTTP route takes only one of route, redirect, directResponse, delegate: got ${actions.join(' and ')}`);
  if (h.rewrite && h.redirect) r.report('MESH_ERR_ROUTE_ACTION', childPath(p, 'rewrite'), 'rewrite cannot be combined with redirect');
  if (h.rewrite?.uri !== undefined && h.rewrite.uriRegexRewrite !== undefined) r.report('MESH_ERR_ONE_OF', childPath(p, 'rewrite'), 'set at most one of uri, uriRegexRewrite');
  checkRegex(h.rewrite?.uriRegexRewrite?.match, `${p}.rewrite.uriRegexRewrite.match`, r);
  const redirect = h.redirect;
  if (redirect) {
    const code = redirect.redirectCode;
    if (code !== undefined && (code < 300 || code > 399)) r.report('MESH_ERR_OUT_OF_RANGE', `${p}.redirect.redirectCode`, `redirectCode must be a 3xx status, got ${code}`);
    if ([redirect.uri, redirect.authority, redirect.scheme, redirect.port, redirect.derivePort, redirect.prefixRewrite].every((x) => x === undefined)) {
      r.report('MESH_ERR_MISSING_FIELD', childPath(p, 'redirect'), 'a redirect needs at least one of uri, prefixRewrite, authority, scheme, port');
    }
    if (redirect.uri !== undefined && redirect.prefixRewrite !== undefined) {
      r.report('MESH_ERR_ONE_OF', childPath(childPath(p, 'redirect'), 'prefixRewrite'), 'a redirect rewrites the path with uri (the whole path) or prefixRewrite (the matched prefix), not both (one path rewrite in Envoy)');
    }
  }
  const status = h.directResponse?.status;
  if (status !== undefined && (status < 200 || status > 599)) r.report('MESH_ERR_OUT_OF_RANGE', `${p}.directResponse.status`, `status must be between 200 and 599, got ${status}`);
}

function checkFaultAndMirrors(h: HttpRouteSpec, p: string, r: DocReporter): void {
  const f = h.fault;
  if (f) {
    const fp = childPath(p, 'fault');
    if (!f.delay && !f.abort) r.report('MESH_ERR_MISSING_FIELD', fp, 'a fault needs delay, abort or both');
    if (f.delay) {
      if (f.delay.fixedDelay === undefined && f.delay.exponentialDelay === undefined) r.report('MESH_ERR_MISSING_FIELD', `${fp}.delay.fixedDelay`, 'a delay fault needs fixedDelay');
      checkPercent(f.delay.percentage, `${fp}.delay.percentage`, r);
      if (f.delay.percent !== undefined) {
        r.report('MESH_WARN_DEPRECATED', `${fp}.delay.percent`, 'the integer "percent" is deprecated by Istio: use percentage.value', 'key');
        if (f.delay.percent < 0 || f.delay.percent > 100) r.report('MESH_ERR_OUT_OF_RANGE', `${fp}.delay.percent`, `percent must be between 0 and 100, got ${f.delay.percent}`);
      }
    }
    if (f.abort) {
      const a = f.abort;
      if (a.httpStatus === undefined && a.grpcStatus === undefined && a.http2Error === undefined) r.report('MESH_ERR_MISSING_FIELD', `${fp}.abort.httpStatus`, 'an abort fault needs httpStatus');
      if (a.httpStatus !== undefined && (a.httpStatus < 200 || a.httpStatus > 599)) r.report('MESH_ERR_OUT_OF_RANGE', `${fp}.abort.httpStatus`, `httpStatus must be between 200 and 599, got ${a.httpStatus}`);
      checkPercent(a.percentage, `${fp}.abort.percentage`, r);
    }
  }
  if (h.mirror && h.mirrors) r.report('MESH_ERR_ONE_OF', childPath(p, 'mirrors'), 'set at most one of mirror, mirrors', 'key');
  checkDestination(h.mirror, childPath(p, 'mirror'), r);
  checkPercent(h.mirrorPercentage, childPath(p, 'mirrorPercentage'), r);
  for (const f of ['mirrorPercent', 'mirror_percent'] as const) {
    const v = h[f];
    if (v === undefined) continue;
    r.report('MESH_WARN_DEPRECATED', childPath(p, f), `"${f}" is deprecated by Istio: use mirrorPercentage.value`, 'key');
    if (v > 100) r.report('MESH_ERR_OUT_OF_RANGE', childPath(p, f), `${f} must be between 0 and 100, got ${v}`);
  }
  (h.mirrors ?? []).forEach((m, i) => {
    const mp = indexPath(childPath(p, 'mirrors'), i);
    checkDestination(m.destination, childPath(mp, 'destination'), r);
    checkPercent(m.percentage, childPath(mp, 'percentage'), r);
  });
}

const WILDCARD_DOMAIN = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

/**
 * Istio's validateSniHost: a domain name, `*` or `*.`-prefixed (an IP address only warns: clients
 * do not send one), and a subset of one of the VirtualService's hosts (dockmesh's hosts name
 * services, never wildcards, so: one of them).
 */
function checkSniHost(h: string, hosts: readonly string[], path: string, r: DocReporter): void {
  const name = h.toLowerCase();
  if (isIP(name) !== 0) {
    r.report('MESH_WARN_UNSUPPORTED_VALUE', path, `using an IP address ("${h}") goes against the SNI specification and most clients do not send one`);
    return;
  }
  if (name.length > 255 || !WILDCARD_DOMAIN.test(name)) {
    r.report('MESH_ERR_BAD_VALUE', path, `"${h}" is not a domain name (a wildcard may only be a leading "*." or "*")`);
    return;
  }
  if (!hosts.some((vh) => vh.toLowerCase() === name)) {
    r.report('MESH_ERR_BAD_VALUE', path, `SNI host "${h}" is not a compatible subset of any of the VirtualService's hosts: [${hosts.join(', ')}]`);
  }
}

/** An L4 match block's `port`: 1 to 65535. */
function checkMatchPort(port: number | undefined, path: string, r: DocReporter): void {
  if (port !== undefined && (port < 1 || port > 65535)) r.report('MESH_ERR_OUT_OF_RANGE', path, `port must be between 1 and 65535, got ${port}`);
}

/** Reports every context-free problem of a VirtualService. */
export function checkVirtualService(spec: VirtualServiceSpec, r: DocReporter): void {
  // No hosts: a delegate, used only through a root VirtualService's http[].delegate (Istio's checks).
  const delegate = isDelegate(spec);
  if (delegate) {
    if (spec.gateways?.length) r.report('MESH_ERR_BAD_VALUE', 'spec.gateways', 'a delegate VirtualService (one without hosts) has no gateways: its root\'s apply', 'key');
    if (spec.tls?.length) r.report('MESH_ERR_BAD_VALUE', 'spec.tls', 'a delegate VirtualService (one without hosts) has HTTP routes only', 'key');
    if (spec.tcp?.length) r.report('MESH_ERR_BAD_VALUE', 'spec.tcp', 'a delegate VirtualService (one without hosts) has HTTP routes only', 'key');
    if (!spec.http?.length) r.report('MESH_ERR_MISSING_FIELD', 'spec.http', 'a VirtualService needs hosts, or HTTP routes for the roots that delegate to it', 'key');
  }
  (spec.hosts ?? []).forEach((h, i) => {
    const problem = hostProblem(h);
    if (problem) r.report('MESH_ERR_BAD_HOST', `spec.hosts[${i}]`, problem);
  });
  checkExportTo(spec.exportTo, r.namespace, r);
  if (gatewayOnly(spec)) {
    r.report('MESH_WARN_UNSUPPORTED_VALUE', 'spec.gateways', 'this VirtualService applies only to gateways (no "mesh" in gateways); dockmesh has no gateways, so it has no effect', 'key');
  } else if (spec.gateways && spec.gateways.some((g) => g !== 'mesh')) {
    r.report('MESH_WARN_UNSUPPORTED_VALUE', 'spec.gateways', 'dockmesh has no gateways: only "mesh" is acted on', 'key');
  }
  let catchAll = -1;
  (spec.http ?? []).forEach((h, i) => {
    const p = `spec.http[${i}]`;
    if (catchAll >= 0) {
      r.report('MESH_WARN_ROUTE_SHADOWED', p, `this route never matches: route ${catchAll}${spec.http![catchAll]!.name ? ` ("${spec.http![catchAll]!.name}")` : ''} before it matches every request`);
    } else if (isCatchAll(h.match)) {
      catchAll = i;
    }
    checkHttpMatches(h.match, childPath(p, 'match'), r);
    checkActions(h, p, r);
    if (delegate && h.delegate) r.report('MESH_ERR_BAD_VALUE', childPath(p, 'delegate'), 'a delegate VirtualService cannot delegate again (Istio supports one level)', 'key');
    checkWeights(h.route, childPath(p, 'route'), r);
    checkRetries(h.retries, childPath(p, 'retries'), r);
    checkFaultAndMirrors(h, p, r);
  });
  (spec.tls ?? []).forEach((t, i) => {
    const p = `spec.tls[${i}]`;
    if (!t.route || t.route.length === 0) r.report('MESH_ERR_ROUTE_ACTION', p, 'a TLS route needs route');
    checkWeights(t.route, childPath(p, 'route'), r);
    (t.match ?? []).forEach((m, j) => {
      const q = `${p}.match[${j}]`;
      checkMatchPort(m.port, `${q}.port`, r);
      if (m.sniHosts.length === 0) r.report('MESH_ERR_MISSING_FIELD', `${q}.sniHosts`, 'a TLS match needs at least one SNI host');
      m.sniHosts.forEach((h, k) => checkSniHost(h, spec.hosts ?? [], `${q}.sniHosts[${k}]`, r));
    });
  });
  (spec.tcp ?? []).forEach((t, i) => {
    const p = `spec.tcp[${i}]`;
    if (!t.route || t.route.length === 0) r.report('MESH_ERR_ROUTE_ACTION', p, 'a TCP route needs route');
    checkWeights(t.route, childPath(p, 'route'), r);
    (t.match ?? []).forEach((m, j) => {
      checkMatchPort(m.port, `${p}.match[${j}].port`, r);
    });
  });
}
