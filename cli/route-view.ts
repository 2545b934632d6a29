/** Pure: an agent snapshot → the rows `mesh routes` prints (effective routes, policies, telemetry, inbound security). */
import {
  DEFAULT_LOCAL_ORIGIN_FAILURES,
  type AgentSnapshot,
  type HttpMatchSnapshot,
  type HttpRouteSnapshot,
  type JwtRuleSnapshot,
  type MetricOverridesSnapshot,
  type PresenceOrStringMatch,
  type ServiceSnapshot,
  type TelemetryDirection,
  type TrafficPolicySnapshot,
  type WeightedDestinationSnapshot,
} from '../wire/types.ts';

function str(m: PresenceOrStringMatch | undefined): string {
  if (!m) return '';
  if ('present' in m) return 'present';
  if (m.exact !== undefined) return `=${m.exact}`;
  if (m.prefix !== undefined) return `^${m.prefix}`;
  return `~${m.regex}`;
}

function ms(v: number | undefined): string {
  if (v === undefined) return '-';
  return v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`;
}

/** A match block's source conditions (HTTP, TLS and TCP blocks alike). */
function sourceParts(m: { sourceLabels?: Record<string, string>; sourceNamespace?: string }): string[] {
  const parts = Object.entries(m.sourceLabels ?? {}).map(([k, v]) => `source ${k}=${v}`);
  if (m.sourceNamespace) parts.push(`source namespace=${m.sourceNamespace}`);
  return parts;
}

/** One match block as text, fields ANDed. */
export function matchText(m: HttpMatchSnapshot): string {
  const parts: string[] = [];
  if (m.uri) parts.push(`uri${str(m.uri)}`);
  if (m.method) parts.push(`method${str(m.method)}`);
  if (m.authority) parts.push(`authority${str(m.authority)}`);
  if (m.scheme) parts.push(`scheme${str(m.scheme)}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) parts.push(`header ${k}${v && 'present' in v ? ' present' : str(v)}`);
  for (const [k, v] of Object.entries(m.withoutHeaders ?? {})) parts.push(`no header ${k}${v && 'present' in v ? '' : str(v)}`);
  for (const [k, v] of Object.entries(m.queryParams ?? {})) parts.push(`query ${k}${v && 'present' in v ? ' present' : str(v)}`);
  if (m.port) parts.push(`port=${m.port}`);
  parts.push(...sourceParts(m));
  if (m.ignoreUriCase) parts.push('(ignore uri case)');
  return parts.join(' & ') || '*';
}

function destText(d: WeightedDestinationSnapshot): string {
  const dest = d.destination;
  return `${dest.service}${dest.subset ? `/${dest.subset}` : ''}${dest.port ? `:${dest.port}` : ''} ${d.weight}%`;
}

function actionText(r: HttpRouteSnapshot): string {
  if (r.directResponse) return `direct response ${r.directResponse.status}`;
  if (r.redirect) return `redirect ${r.redirect.redirectCode} ${r.redirect.scheme ?? ''}${r.redirect.authority ?? ''}${r.redirect.uri ?? ''}`.trimEnd();
  const parts = [(r.route ?? []).map(destText).join(', ')];
  if (r.rewrite?.uri !== undefined) parts.push(`rewrite uri ${r.rewrite.uri}`);
  if (r.fault?.abort) parts.push(`fault abort ${r.fault.abort.httpStatus ?? r.fault.abort.grpcStatus} ${r.fault.abort.percent}%`);
  if (r.fault?.delay) parts.push(`fault delay ${ms(r.fault.delay.fixedDelayMs)} ${r.fault.delay.percent}%`);
  for (const m of r.mirrors ?? []) parts.push(`mirror ${m.destination.service}${m.destination.subset ? `/${m.destination.subset}` : ''} ${m.percent}%`);
  return parts.filter(Boolean).join('; ');
}

function retriesText(r: HttpRouteSnapshot): string {
  if (!r.retries) return 'default';
  if (r.retries.attempts === 0) return 'none';
  return `${r.retries.attempts}x${r.retries.perTryTimeoutMs ? ` per try ${ms(r.retries.perTryTimeoutMs)}` : ''}${r.retries.backoffMs ? ` backoff ${ms(r.retries.backoffMs)}` : ''} on ${r.retries.retryOn.join(',')}`;
}

/** Policy of a destination as short text. */
export function policyText(p: TrafficPolicySnapshot | undefined): string {
  if (!p) return 'ROUND_ROBIN (default without a DestinationRule)';
  const parts: string[] = [];
  const lb = p.loadBalancer;
  if (lb?.consistentHash) {
    const h = lb.consistentHash;
    parts.push(`consistent hash on ${h.httpHeaderName ? `header ${h.httpHeaderName}` : h.httpCookie ? `cookie ${h.httpCookie.name}` : h.useSourceIp ? 'source IP' : `query ${h.httpQueryParameterName}`}`);
  } else parts.push(lb?.simple ?? 'LEAST_REQUEST (Istio\'s default)');
  if (lb?.warmup) parts.push(`warmup ${ms(lb.warmup.durationMs)}`);
  const cp = p.connectionPool;
  if (cp?.tcp?.maxConnections) parts.push(`max ${cp.tcp.maxConnections} conns`);
  if (cp?.http?.http1MaxPendingRequests) parts.push(`max ${cp.http.http1MaxPendingRequests} pending`);
  if (cp?.http?.http2MaxRequests) parts.push(`max ${cp.http.http2MaxRequests} requests`);
  const od = p.outlierDetection;
  if (od) parts.push(outlierText(od));
  return parts.join(', ');
}

/** The outlier checks in force (a count of 0 or none is off). */
function outlierText(od: NonNullable<TrafficPolicySnapshot['outlierDetection']>): string {
  const checks: string[] = [];
  if (od.consecutive5xxErrors) checks.push(`${od.consecutive5xxErrors} errors${od.httpErrorCodes?.length ? ` (codes ${od.httpErrorCodes.join(',')})` : ''}`);
  if (od.consecutiveGatewayErrors) checks.push(`${od.consecutiveGatewayErrors} gateway errors`);
  if (od.splitExternalLocalOriginErrors) checks.push(`${od.consecutiveLocalOriginFailures ?? DEFAULT_LOCAL_ORIGIN_FAILURES} local-origin failures`);
  if (!checks.length) return 'no ejection (every check off)';
  return `eject after ${checks.join(' or ')} for ${ms(od.baseEjectionTimeMs)} (max ${od.maxEjectionPercent}%)`;
}

/** Table rows: DESTINATION, MATCH, ROUTE, TIMEOUT, RETRIES. */
export function routeRows(snap: AgentSnapshot): string[][] {
  const rows: string[][] = [];
  for (const s of snap.services) rows.push(...serviceRows(s));
  return rows;
}

/** An L4 match block (TLS or TCP) as text. */
function l4MatchText(kind: 'tls' | 'tcp', m: { sniHosts?: string[]; port?: number; destinationSubnets?: string[]; sourceLabels?: Record<string, string>; sourceNamespace?: string }): string {
  const parts: string[] = [];
  if (m.sniHosts) parts.push(`sni=${m.sniHosts.join(',')}`);
  if (m.port !== undefined) parts.push(`port=${m.port}`);
  if (m.destinationSubnets?.length) parts.push(`subnet=${m.destinationSubnets.join(',')}`);
  parts.push(...sourceParts(m));
  return `${kind} ${parts.join(' & ') || '*'}`;
}

function serviceRows(s: ServiceSnapshot): string[][] {
  const rows: string[][] = [];
  for (const r of s.http ?? []) {
    const match = r.match.length ? r.match.map(matchText).join(' | ') : '*';
    rows.push([s.name, r.name ? `${match} (${r.name})` : match, actionText(r), ms(r.timeoutMs), retriesText(r)]);
  }
  for (const [kind, routes] of [['tls', s.tls ?? []], ['tcp', s.tcp ?? []]] as const) {
    for (const r of routes) {
      const match = r.match.length ? r.match.map((m) => l4MatchText(kind, m)).join(' | ') : `${kind} *`;
      rows.push([s.name, match, r.route.map(destText).join(', '), '-', '-']);
    }
  }
  if (rows.length === 0) {
    const n = s.endpoints.length;
    rows.push([s.name, '* (no VirtualService)', `${s.name} 100% over ${n} endpoint${n === 1 ? '' : 's'}`, '-', 'default']);
  }
  return rows;
}

/** Rows: DESTINATION, SUBSET, LABELS, POLICY (plus rate limits). */
export function policyRows(snap: AgentSnapshot): string[][] {
  const rows: string[][] = [];
  for (const s of snap.services) {
    const rl = s.rateLimit ? `; rate limit ${s.rateLimit.tokensPerFill}/${ms(s.rateLimit.fillIntervalMs)} (burst ${s.rateLimit.maxTokens})` : '';
    rows.push([s.name, '-', '-', policyText(s.policy) + rl]);
    for (const sub of s.subsets ?? []) {
      const labels = Object.entries(sub.labels).map(([k, v]) => `${k}=${v}`).join(',');
      const count = s.endpoints.filter((e) => Object.entries(sub.labels).every(([k, v]) => e.labels[k] === v)).length;
      rows.push([s.name, sub.name, `${labels} (${count} endpoint${count === 1 ? '' : 's'})`, policyText(sub.policy ?? s.policy)]);
    }
  }
  return rows;
}

function tracingText(snap: AgentSnapshot, d: TelemetryDirection | undefined): string {
  const t = snap.mesh.tracing;
  if (!t) return 'off (no collector)';
  const percent = d?.samplingPercent ?? t.samplingPercent;
  const parts = [d?.report === false ? `${percent}% sampled, no spans reported` : `${percent}% of new traces`];
  const tags = Object.entries(d?.tags ?? {}).map(([k, v]) => ('literal' in v ? `${k}=${v.literal}` : 'environment' in v ? `${k}=$${v.environment}` : `${k}=header ${v.header}`));
  if (tags.length) parts.push(`tags ${tags.join(',')}`);
  if (d?.istioTags === false) parts.push('no istio.* tags');
  return parts.join('; ');
}

function accessLogText(on: boolean, filter: string | undefined): string {
  if (!on) return 'off';
  return filter ? `when ${filter}` : 'on';
}

function metricsText(o: MetricOverridesSnapshot | undefined): string {
  const parts: string[] = [];
  for (const [metric, m] of Object.entries(o ?? {})) {
    if (m.disabled) {
      parts.push(`${metric} off`);
      continue;
    }
    const tags = Object.entries(m.tags ?? {}).map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`));
    if (tags.length) parts.push(`${metric} ${tags.join(' ')}`);
  }
  return parts.join('; ') || 'standard';
}

/** What Telemetry puts in force for the agent's own traffic: one row per direction (Istio's CLIENT, SERVER). */
export function telemetryRows(snap: AgentSnapshot): string[][] {
  const a = snap.mesh.accessLog;
  const t = snap.mesh.tracing;
  const m = snap.mesh.metrics;
  return [
    ['outbound (CLIENT)', tracingText(snap, t?.outbound), accessLogText(a?.outbound ?? true, a?.outboundFilter), metricsText(m?.outbound)],
    ['inbound (SERVER)', tracingText(snap, t?.inbound), accessLogText(a?.inbound ?? true, a?.inboundFilter), metricsText(m?.inbound)],
  ];
}

/** One JWT rule as text: issuer, where its keys come from, non-default locations and modes. */
function jwtText(r: JwtRuleSnapshot): string {
  const keys = r.jwks !== undefined ? 'keys inline' : r.jwksUri !== undefined ? `keys from ${r.jwksUri}` : 'keys by OpenID discovery';
  const parts = [r.issuer, keys];
  if (r.audiences?.length) parts.push(`audiences ${r.audiences.join(',')}`);
  const where = [...(r.fromHeaders ?? []).map((h) => `header ${h.name}`), ...(r.fromParams ?? []).map((p) => `param ${p}`), ...(r.fromCookies ?? []).map((c) => `cookie ${c}`)];
  if (where.length) parts.push(`from ${where.join(',')}`);
  if (r.failureMode) parts.push(r.failureMode);
  if (r.forwardOriginalToken) parts.push('token forwarded');
  return `${parts.join('; ')} (${r.source})`;
}

/** The inbound security in force: mTLS mode, AuthorizationPolicies, RequestAuthentication rules (rows of INBOUND, IN FORCE). */
export function securityRows(snap: AgentSnapshot): string[][] {
  const inbound = snap.inbound;
  if (!inbound) return [['mTLS', 'PERMISSIVE (no meshfile)'], ['authorization', 'none: every request allowed'], ['request authentication', 'none']];
  const ports = Object.entries(inbound.mtls.ports ?? {}).map(([p, m]) => `port ${p} ${m}`);
  const policies = inbound.authz.policies.map((p) => `${p.namespace}/${p.name} ${p.action} (${p.rules.length} rule${p.rules.length === 1 ? '' : 's'})`);
  const jwt = (inbound.jwt ?? []).map(jwtText);
  return [
    ['mTLS', [inbound.mtls.mode, ...ports].join('; ')],
    ['authorization', policies.length ? policies.join(', ') : 'none: every request allowed'],
    ['request authentication', jwt.length ? jwt.join(' | ') : 'none'],
  ];
}
