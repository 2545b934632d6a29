/**
 * OTLP/JSON encoding of a batch of spans (pure): an `ExportTraceServiceRequest` with one resource and
 * one instrumentation scope. As the OTLP specification requires for JSON: lowerCamelCase field
 * names, trace and span ids as hex strings (not base64), enums as integers, 64-bit integers (the
 * nanosecond times, intValue) as decimal strings. Built as text directly: this runs for every span
 * exported, and generic JSON.stringify of an object tree costs several times more.
 */
import type { AttributeValue, SpanRecord } from './span-record.ts';

/** The instrumentation scope of every span. */
export const SCOPE = { name: 'dockmesh-agent', version: '0.1.0' } as const;

/** Unix epoch milliseconds (with fraction) as a decimal string of nanoseconds, to the microsecond. */
export function nanosOf(ms: number): string {
  const us = Math.round(ms * 1000);
  return us === 0 ? '0' : `${us}000`;
}

/** Characters a JSON string cannot hold as they are. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** `s` as a JSON string literal. */
export function strJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function value(v: AttributeValue): string {
  if (typeof v === 'string') return `{"stringValue":${strJson(v)}}}`;
  if (typeof v === 'boolean') return `{"boolValue":${v}}}`;
  return Number.isInteger(v) ? `{"intValue":"${v}"}}` : `{"doubleValue":${v}}}`;
}

/** A flat `[key, value, ...]` list as OTLP `KeyValue`s (the resource, the shared attributes). */
export function attributesJson(flat: readonly AttributeValue[]): string {
  let s = '[';
  for (let i = 0; i < flat.length; i += 2) {
    if (i > 0) s += ',';
    s += `{"key":${JSON.stringify(flat[i])},"value":${value(flat[i + 1]!)}`;
  }
  return s + ']';
}

/** One string attribute as an OTLP/JSON `KeyValue`. */
export const strAttr = (key: string, v: string): string => `{"key":"${key}","value":{"stringValue":${strJson(v)}}}`;
const intAttr = (key: string, v: number): string => `{"key":"${key}","value":{"intValue":"${v}"}}`;

/** A span's `http.url`: `http://<host><target>`, or an absolute-form target as it came. */
export function spanUrl(sp: SpanRecord): string {
  return sp.urlHost === null ? sp.urlTarget : `http://${sp.urlHost}${sp.urlTarget}`;
}

/**
 * One span as OTLP/JSON, its attributes in one pass with Envoy's and Istio's names (span-record.ts
 * says what each field holds). The attributes that repeat span after span come first: span-writer.ts
 * writes the same bytes, and copies that part.
 */
export function spanJson(sp: SpanRecord): string {
  return `{"traceId":"${sp.traceId}","spanId":"${sp.spanId}"${sp.parentSpanId ? `,"parentSpanId":"${sp.parentSpanId}"` : ''}${
    sp.traceState ? `,"traceState":${JSON.stringify(sp.traceState)}` : ''
  },"name":${strJson(sp.name)},"kind":${sp.kind},"startTimeUnixNano":"${nanosOf(sp.startMs)}","endTimeUnixNano":"${nanosOf(sp.endMs)}","attributes":[${
    strAttr('http.protocol', sp.protocol)},${strAttr('upstream_cluster', sp.cluster)},${strAttr('upstream_cluster.name', sp.cluster)},${
    sp.upstream !== undefined ? `${strAttr('upstream_address', sp.upstream)},` : ''}${sp.common.length === 0 ? '' : `${attributesJson(sp.common).slice(1, -1)},`}${
    strAttr('http.method', sp.method)},${strAttr('http.url', spanUrl(sp))},${intAttr('http.status_code', sp.status)},${
    strAttr('response_flags', sp.flags)},${strAttr('peer.address', sp.peer)},${
    intAttr('request_size', sp.requestSize)},${intAttr('response_size', sp.responseSize)}${
    sp.requestId !== undefined ? `,${strAttr('guid:x-request-id', sp.requestId)}` : ''}${sp.userAgent !== undefined ? `,${strAttr('user_agent', sp.userAgent)}` : ''}${
    sp.attempt > 0 ? `,${intAttr('dockmesh.attempt', sp.attempt)}` : ''}${sp.tags === undefined ? '' : tagsJson(sp.tags)}${sp.error ? ',{"key":"error","value":{"boolValue":true}}' : ''}],"status":${sp.error ? '{"code":2}' : '{}'}}`;
}

/** Header custom tags (flat `[key, value, ...]`), each as `,<KeyValue>`. */
export function tagsJson(tags: readonly string[]): string {
  let s = '';
  for (let i = 0; i < tags.length; i += 2) s += `,{"key":${strJson(tags[i]!)},"value":{"stringValue":${strJson(tags[i + 1]!)}}}`;
  return s;
}

/** What comes before the comma-separated spans of a request body. */
export function tracesPrefix(resource: readonly AttributeValue[]): string {
  return `{"resourceSpans":[{"resource":{"attributes":${attributesJson(resource)}},"scopeSpans":[{"scope":${JSON.stringify(SCOPE)},"spans":[`;
}

/** What comes after the spans. */
export const TRACES_SUFFIX = ']}]}]}';

/** The request body for `POST /v1/traces` (Content-Type: application/json). */
export function encodeTraces(resource: readonly AttributeValue[], spans: readonly SpanRecord[]): string {
  return tracesPrefix(resource) + spans.map(spanJson).join(',') + TRACES_SUFFIX;
}
