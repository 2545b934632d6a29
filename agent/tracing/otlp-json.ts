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
function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

const keyPrefixes = new Map<string, string>();

/** `{"key":"<k>","value":` (attribute keys come from a small fixed set: cached). */
function keyPrefix(k: string): string {
  let p = keyPrefixes.get(k);
  if (p === undefined) {
    p = `{"key":${JSON.stringify(k)},"value":`;
    if (keyPrefixes.size < 256) keyPrefixes.set(k, p);
  }
  return p;
}

function value(v: AttributeValue): string {
  if (typeof v === 'string') return `{"stringValue":${str(v)}}}`;
  if (typeof v === 'boolean') return `{"boolValue":${v}}}`;
  return Number.isInteger(v) ? `{"intValue":"${v}"}}` : `{"doubleValue":${v}}}`;
}

/** A flat `[key, value, ...]` list as OTLP `KeyValue`s. */
export function attributesJson(flat: readonly AttributeValue[]): string {
  let s = '[';
  for (let i = 0; i < flat.length; i += 2) {
    if (i > 0) s += ',';
    s += keyPrefix(flat[i] as string) + value(flat[i + 1]!);
  }
  return s + ']';
}

/** One span as OTLP/JSON. */
export function spanJson(sp: SpanRecord): string {
  let s = `{"traceId":"${sp.traceId}","spanId":"${sp.spanId}"`;
  if (sp.parentSpanId) s += `,"parentSpanId":"${sp.parentSpanId}"`;
  if (sp.traceState) s += `,"traceState":${JSON.stringify(sp.traceState)}`;
  s += `,"name":${str(sp.name)},"kind":${sp.kind},"startTimeUnixNano":"${nanosOf(sp.startMs)}","endTimeUnixNano":"${nanosOf(sp.endMs)}","attributes":`;
  const own = attributesJson(sp.attributes);
  s += sp.common === '' ? own : own === '[]' ? `[${sp.common}]` : `${own.slice(0, -1)},${sp.common}]`;
  return s + (sp.error ? ',"status":{"code":2}}' : ',"status":{}}');
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
