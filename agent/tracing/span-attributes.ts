/**
 * What a span says about a request, with the attribute names Envoy and Istio's proxies set, so Jaeger
 * queries and dashboards written for Istio find the same tags: `http.method`, `http.url`,
 * `http.protocol`, `http.status_code`, `response_flags`, `upstream_cluster`, `upstream_address`,
 * `peer.address`, `guid:x-request-id`, `user_agent`, `request_size`, `response_size`, `error` (fields
 * of the span record, see otlp-json.ts); plus the ones every span of the agent shares (`component`,
 * `node_id`, `istio.*`), encoded once per identity, and the resource. Pure but for the clock.
 */
import type { CustomTagSnapshot, WorkloadSnapshot } from '../../wire/types.ts';
import { headerText, type RequestHeaders } from '../../wire/cel.ts';
import { performance } from 'node:perf_hooks';
import type { AttributeValue, SpanRecord } from './span-record.ts';

/** What the span attributes read from a proxied request (the data path's exchange has all of it). */
export interface TracedRequest {
  readonly method: string;
  readonly h2: boolean;
  /** The downstream peer's address. */
  readonly peer: string;
  readonly head: { readonly host?: string; readonly requestId?: string; readonly userAgent?: string; readonly contentLength?: number };
  readonly req: { readonly url?: string; readonly headers?: RequestHeaders };
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** `performance.now()` when the request arrived. */
  readonly start: number;
}

/** Istio's mesh id and trust domain. */
const MESH_ID = 'cluster.local';

/**
 * The attributes every span of an agent carries (flat `[key, value, ...]`); one array per identity,
 * which the span writers encode once per head (its identity tells them it changed).
 */
export function commonAttributes(self: WorkloadSnapshot | undefined, address: string): readonly AttributeValue[] {
  const service = self?.service ?? 'unknown';
  const ns = self?.namespace ?? 'default';
  const name = self?.containerName || self?.workload || service;
  return Object.freeze([
    'component', 'proxy',
    'node_id', `sidecar~${address}~${name}.${ns}~${ns}.svc.cluster.local`,
    'istio.canonical_service', service,
    'istio.canonical_revision', self?.labels.version ?? 'latest',
    'istio.namespace', ns,
    'istio.mesh_id', MESH_ID,
  ]);
}

/** `attrs` without its `istio.*` pairs (Telemetry `enableIstioTags: false`). */
export function withoutIstioTags(attrs: readonly AttributeValue[]): readonly AttributeValue[] {
  const out: AttributeValue[] = [];
  for (let i = 0; i < attrs.length; i += 2) {
    if (!String(attrs[i]).startsWith('istio.')) out.push(attrs[i]!, attrs[i + 1]!);
  }
  return Object.freeze(out);
}

/**
 * Istio Telemetry's literal and environment `customTags` as flat attributes (by name; an environment
 * tag whose variable is unset and has no default is left out, as Envoy does). Header tags are per
 * span: {@link headerTagsOf}.
 */
export function customTagAttributes(tags: Readonly<Record<string, CustomTagSnapshot>> | undefined, env: Readonly<Record<string, string | undefined>>): AttributeValue[] {
  const out: AttributeValue[] = [];
  for (const name of Object.keys(tags ?? {}).sort()) {
    const t = tags![name]!;
    if ('header' in t) continue;
    const value = 'literal' in t ? t.literal : (env[t.environment] ?? t.defaultValue);
    if (value !== undefined) out.push(name, value);
  }
  return out;
}

/** A custom tag read from a request header (`header` lower case). */
export interface HeaderTag {
  readonly name: string;
  readonly header: string;
  readonly defaultValue: string | undefined;
}

/** The header `customTags` of one direction, by tag name; undefined when there are none. */
export function headerTagsOf(tags: Readonly<Record<string, CustomTagSnapshot>> | undefined): readonly HeaderTag[] | undefined {
  const out: HeaderTag[] = [];
  for (const name of Object.keys(tags ?? {}).sort()) {
    const t = tags![name]!;
    if ('header' in t) out.push({ name, header: t.header.toLowerCase(), defaultValue: t.defaultValue });
  }
  return out.length ? out : undefined;
}

/**
 * The header tags of request `r` (flat `[name, value, ...]`): a header's value (repeated ones
 * joined with ","), else the tag's default; a tag with neither is left out, as Envoy does.
 */
export function headerTagValues(tags: readonly HeaderTag[] | undefined, r: TracedRequest): readonly string[] | undefined {
  if (tags === undefined) return undefined;
  const out: string[] = [];
  for (const t of tags) {
    const value = headerText(r.req.headers, t.header) ?? t.defaultValue;
    if (value !== undefined) out.push(t.name, value);
  }
  return out.length ? out : undefined;
}

/** `base` with `tags` after it (one frozen array; `base` itself without tags). */
export function withTags(base: readonly AttributeValue[], tags: readonly AttributeValue[]): readonly AttributeValue[] {
  return tags.length === 0 ? base : Object.freeze([...base, ...tags]);
}

/** OpenTelemetry resource attributes: `service.name` is the workload's (logical) service. */
export function resourceAttributes(self: WorkloadSnapshot | undefined): AttributeValue[] {
  const attrs: AttributeValue[] = [
    'service.name', self?.service ?? 'unknown',
    'service.namespace', self?.namespace ?? 'default',
    'telemetry.sdk.name', 'dockmesh',
    'telemetry.sdk.language', 'nodejs',
  ];
  if (self?.labels.version) attrs.push('service.version', self.labels.version);
  if (self?.containerName) attrs.push('service.instance.id', self.containerName);
  return attrs;
}

/** The host of Envoy's `http.url`, `http://<host><target>`; null for an absolute-form target, kept as sent. */
function urlHost(r: TracedRequest, target: string): string | null {
  return target.charCodeAt(0) === 47 || target === '*' ? (r.head.host ?? '') : null;
}

/** A 5xx answer, or none at all (status 0), is an error. */
export const isError = (status: number): boolean => status >= 500 || status === 0;

/** The trace a span belongs to (a request's trace). */
export interface SpanParent {
  readonly traceId: string;
  /** The caller's span; undefined: the agent's span is a root. */
  readonly parentSpanId: string | undefined;
  readonly traceState: string | undefined;
}

/**
 * The span `spanId` of request `r`, which ended now with `status` and `flags`. `cluster`:
 * `inbound|<port>||`, the outbound cluster or `-`; `upstream`: the address the request went to;
 * `peer`: the other side of the span (the caller for a SERVER span, the endpoint for a CLIENT span);
 * `attempt`: the try it was (0: not an attempt); `failed`: the attempt ended in an error.
 */
export function spanRecord(
  t: SpanParent, spanId: string, name: string, kind: SpanRecord['kind'], startMs: number, common: readonly AttributeValue[],
  r: TracedRequest, status: number, flags: string, cluster: string, upstream: string | null, peer: string, attempt: number, failed: boolean,
  headerTags: readonly HeaderTag[] | undefined,
): SpanRecord {
  const target = r.req.url ?? '/';
  return {
    traceId: t.traceId,
    spanId,
    parentSpanId: t.parentSpanId,
    traceState: t.traceState,
    name,
    kind,
    startMs,
    endMs: epochMs(),
    error: failed || isError(status),
    method: r.method,
    urlHost: urlHost(r, target),
    urlTarget: target,
    protocol: r.h2 ? 'HTTP/2' : 'HTTP/1.1',
    status,
    flags,
    cluster,
    upstream: upstream ?? undefined,
    peer,
    requestSize: r.head.contentLength ?? r.requestBytes,
    responseSize: r.responseBytes,
    requestId: r.head.requestId,
    userAgent: r.head.userAgent,
    attempt,
    common,
    tags: headerTagValues(headerTags, r),
  };
}

/** Unix epoch milliseconds now, with sub-millisecond fraction. */
export const epochMs = (): number => performance.timeOrigin + performance.now();
