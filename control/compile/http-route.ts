/**
 * Pure: one Istio HTTPRoute / TCPRoute → its snapshot, with Istio's defaults filled in:
 * no timeout unless set; retries default to 2 attempts on
 * connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes (+503); a single
 * destination gets weight 100; redirectCode 301; fault and mirror percentages 100 when absent.
 * Regexes are emitted in the JavaScript form the agents compile (see meshfile/re2-regex.ts).
 */
import { durationMs } from '../meshfile/duration.ts';
import { parseHost, type HostLookup } from '../meshfile/host-resolver.ts';
import { re2ToJs } from '../meshfile/re2-regex.ts';
import type { DestinationSpec, HeadersSpec, HttpMatchRequestSpec, HttpRetrySpec, HttpRouteSpec, StringMatchSpec, L4MatchAttributesSpec, TcpRouteSpec, TlsRouteSpec } from '../meshfile/virtual-service-spec.ts';
import type {
  DestinationSnapshot,
  FaultSnapshot,
  HeaderOperationsSnapshot,
  HttpMatchSnapshot,
  HttpRouteSnapshot,
  PresenceOrStringMatch,
  RetryPolicySnapshot,
  StringMatchSnapshot,
  TcpRouteSnapshot,
  TlsRouteSnapshot,
  WeightedDestinationSnapshot,
} from '../../wire/types.ts';
import { sorted } from './traffic-policy.ts';

/** Istio's retry policy when a route sets none (Envoy: num_retries 2, retriable_status_codes [503]). */
export const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503'];
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_REDIRECT_CODE = 301;

function jsRegex(regex: string): string {
  const r = re2ToJs(regex);
  return r.ok ? r.source : regex;
}

function stringMatch(m: StringMatchSpec): StringMatchSnapshot {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { regex: jsRegex(m.regex!) };
}

function presenceOrMatch(m: StringMatchSpec): PresenceOrStringMatch {
  return m.exact === undefined && m.prefix === undefined && m.regex === undefined ? { present: true } : stringMatch(m);
}

function matchMap(map: Readonly<Record<string, StringMatchSpec>> | undefined, lower: boolean): Record<string, PresenceOrStringMatch> | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  const out: Record<string, PresenceOrStringMatch> = {};
  for (const k of Object.keys(map).sort()) out[lower ? k.toLowerCase() : k] = presenceOrMatch(map[k]!);
  return out;
}

function match(m: HttpMatchRequestSpec): HttpMatchSnapshot {
  const out: HttpMatchSnapshot = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.uri) out.uri = stringMatch(m.uri);
  if (m.scheme) out.scheme = stringMatch(m.scheme);
  if (m.method) out.method = stringMatch(m.method);
  if (m.authority) out.authority = stringMatch(m.authority);
  const headers = matchMap(m.headers, true);
  if (headers) out.headers = headers;
  const without = matchMap(m.withoutHeaders, true);
  if (without) out.withoutHeaders = without;
  const query = matchMap(m.queryParams, false);
  if (query) out.queryParams = query;
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  if (m.port !== undefined) out.port = m.port;
  if (m.sourceLabels && Object.keys(m.sourceLabels).length) out.sourceLabels = sorted(m.sourceLabels);
  if (m.sourceNamespace) out.sourceNamespace = m.sourceNamespace;
  return out;
}

/** Resolves a destination to a logical service. */
export function destination(d: DestinationSpec, namespace: string, lookup: HostLookup): DestinationSnapshot {
  const ref = lookup(d.host, namespace) ?? parseHost(d.host, namespace);
  const out: DestinationSnapshot = { service: ref.name, namespace: ref.namespace };
  if (d.subset !== undefined) out.subset = d.subset;
  if (d.port?.number !== undefined) out.port = d.port.number;
  return out;
}

function headerOps(h: HeadersSpec | undefined): HeaderOperationsSnapshot | undefined {
  if (!h) return undefined;
  const out: HeaderOperationsSnapshot = {};
  for (const dir of ['request', 'response'] as const) {
    const ops = h[dir];
    if (!ops) continue;
    const set: NonNullable<HeaderOperationsSnapshot['request']> = {};
    if (ops.set) set.set = sorted(ops.set);
    if (ops.add) set.add = sorted(ops.add);
    if (ops.remove) set.remove = [...ops.remove];
    out[dir] = set;
  }
  return Object.keys(out).length ? out : undefined;
}

function weighted(route: readonly { destination: DestinationSpec; weight?: number; headers?: HeadersSpec }[], ns: string, lookup: HostLookup): WeightedDestinationSnapshot[] {
  return route.map((r) => {
    const out: WeightedDestinationSnapshot = { destination: destination(r.destination, ns, lookup), weight: route.length === 1 ? 100 : (r.weight ?? 0) };
    const h = headerOps(r.headers);
    if (h) out.headers = h;
    return out;
  });
}

/** Istio's retry translation: absent → the default policy; attempts ≤ 0 (or unset) → no retries. */
export function retryPolicy(r: HttpRetrySpec | undefined): RetryPolicySnapshot {
  if (!r) return { attempts: DEFAULT_RETRY_ATTEMPTS, retryOn: [...DEFAULT_RETRY_ON] };
  if (!r.attempts || r.attempts <= 0) return { attempts: 0, retryOn: [] };
  let retryOn = [...DEFAULT_RETRY_ON];
  if (r.retryOn !== undefined && r.retryOn.trim() !== '') {
    retryOn = r.retryOn.split(',').map((s) => s.trim()).filter(Boolean);
    if (retryOn.some((s) => /^\d+$/.test(s)) && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  }
  const out: RetryPolicySnapshot = { attempts: r.attempts, retryOn };
  if (r.perTryTimeout !== undefined) out.perTryTimeoutMs = durationMs(r.perTryTimeout);
  if (r.backoff !== undefined) out.backoffMs = durationMs(r.backoff);
  if (r.retryIgnorePreviousHosts === false) out.retryIgnorePreviousHosts = false;
  if (r.retryRemoteLocalities) out.retryRemoteLocalities = true;
  return out;
}

function fault(f: HttpRouteSpec['fault']): FaultSnapshot | undefined {
  if (!f) return undefined;
  const out: FaultSnapshot = {};
  if (f.delay?.fixedDelay !== undefined) {
    out.delay = { fixedDelayMs: durationMs(f.delay.fixedDelay), percent: f.delay.percentage?.value ?? f.delay.percent ?? 100 };
  }
  if (f.abort && (f.abort.httpStatus !== undefined || f.abort.grpcStatus !== undefined)) {
    const abort: NonNullable<FaultSnapshot['abort']> = { percent: f.abort.percentage?.value ?? 100 };
    if (f.abort.httpStatus !== undefined) abort.httpStatus = f.abort.httpStatus;
    if (f.abort.grpcStatus !== undefined) abort.grpcStatus = f.abort.grpcStatus;
    out.abort = abort;
  }
  return out.delay || out.abort ? out : undefined;
}

/** One HTTP route, in the namespace of its VirtualService. */
export function compileHttpRoute(h: HttpRouteSpec, ns: string, lookup: HostLookup): HttpRouteSnapshot {
  const out: HttpRouteSnapshot = { match: (h.match ?? []).map(match) };
  if (h.name !== undefined) out.name = h.name;
  if (h.route && h.route.length) out.route = weighted(h.route, ns, lookup);
  if (h.redirect) {
    const { uri, prefixRewrite, authority, port, derivePort, scheme } = h.redirect;
    out.redirect = {
      ...(uri !== undefined && { uri }),
      ...(uri === undefined && prefixRewrite !== undefined && { prefixRewrite }),
      ...(authority !== undefined && { authority }),
      ...(port !== undefined && { port }),
      ...(port === undefined && derivePort !== undefined && { derivePort }),
      ...(scheme !== undefined && { scheme }),
      redirectCode: h.redirect.redirectCode || DEFAULT_REDIRECT_CODE,
    };
  }
  if (h.directResponse) {
    const b = h.directResponse.body;
    const body = b?.string ?? (b?.bytes !== undefined ? Buffer.from(b.bytes, 'base64').toString('utf8') : undefined);
    out.directResponse = body === undefined ? { status: h.directResponse.status } : { status: h.directResponse.status, body };
  }
  if (h.rewrite) {
    const rw: NonNullable<HttpRouteSnapshot['rewrite']> = {};
    if (h.rewrite.uri !== undefined) rw.uri = h.rewrite.uri;
    if (h.rewrite.authority !== undefined) rw.authority = h.rewrite.authority;
    const rr = h.rewrite.uriRegexRewrite;
    if (rr?.match !== undefined) rw.uriRegexRewrite = { match: jsRegex(rr.match), rewrite: (rr.rewrite ?? '').replace(/\\(\d)/g, '$$$1') };
    out.rewrite = rw;
  }
  if (h.timeout !== undefined) out.timeoutMs = durationMs(h.timeout);
  out.retries = retryPolicy(h.retries);
  const f = fault(h.fault);
  if (f) out.fault = f;
  const mirrors: NonNullable<HttpRouteSnapshot['mirrors']> = [];
  if (h.mirror) mirrors.push({ destination: destination(h.mirror, ns, lookup), percent: h.mirrorPercentage?.value ?? h.mirrorPercent ?? h.mirror_percent ?? 100 });
  for (const m of h.mirrors ?? []) mirrors.push({ destination: destination(m.destination, ns, lookup), percent: m.percentage?.value ?? 100 });
  if (mirrors.length) out.mirrors = mirrors;
  const headers = headerOps(h.headers);
  if (headers) out.headers = headers;
  return out;
}

/** One TCP route. */
/** The L4 match fields TCP and TLS routes share. */
function l4Match(m: L4MatchAttributesSpec): TcpRouteSnapshot['match'][number] {
  const out: TcpRouteSnapshot['match'][number] = {};
  if (m.port !== undefined) out.port = m.port;
  if (m.destinationSubnets?.length) out.destinationSubnets = [...m.destinationSubnets];
  if (m.sourceLabels && Object.keys(m.sourceLabels).length) out.sourceLabels = sorted(m.sourceLabels);
  if (m.sourceNamespace) out.sourceNamespace = m.sourceNamespace;
  return out;
}

export function compileTcpRoute(t: TcpRouteSpec, ns: string, lookup: HostLookup): TcpRouteSnapshot {
  return { match: (t.match ?? []).map(l4Match), route: weighted(t.route ?? [], ns, lookup) };
}

/** A TLS route: its SNI hosts lower case (names are case-insensitive), then the L4 fields. */
export function compileTlsRoute(t: TlsRouteSpec, ns: string, lookup: HostLookup): TlsRouteSnapshot {
  return {
    match: t.match.map((m) => ({ sniHosts: m.sniHosts.map((h) => h.toLowerCase()), ...l4Match(m) })),
    route: weighted(t.route ?? [], ns, lookup),
  };
}
