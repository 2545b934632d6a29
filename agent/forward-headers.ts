import { randomIds } from './random-ids.ts';
import type { TraceHeaders } from './tracing/trace-headers.ts';

/** Headers that belong to one connection and are never forwarded (RFC 9110 7.6.1, plus legacy ones). */
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'expect', 'http2-settings', 'proxy-authenticate', 'proxy-authorization',
]);

/** Identity headers one agent sends to its peer. */
export const SOURCE_HEADERS = {
  workload: 'x-dockmesh-source-workload',
  namespace: 'x-dockmesh-source-namespace',
  service: 'x-dockmesh-source-service',
  version: 'x-dockmesh-source-version',
} as const;

/** The calling workload as its agent declared it (inbound only). */
export interface SourceHeaders {
  workload?: string;
  namespace?: string;
  service?: string;
  version?: string;
}

/** What {@link forwardHeaders} learned while filtering a request head. */
export interface ForwardHead {
  /** Flat name/value pairs for undici. */
  headers: string[];
  host?: string;
  requestId?: string;
  /** Trace headers (`traceparent`, `tracestate`, B3), when the request has any. */
  trace?: TraceHeaders;
  userAgent?: string;
  contentLength?: number;
  /** Client-sent `x-forwarded-for` / `-proto` (dropped from `headers`; the agent sets its own). */
  forwardedFor?: string;
  forwardedProto?: string;
  /** The request carries a body (content-length > 0 or a transfer-encoding). */
  hasBody: boolean;
  source: SourceHeaders;
}

const DOCKMESH_PREFIX = 'x-dockmesh-';
/** Only the inbound agent that verified the peer's certificate may set it (Envoy's SANITIZE_SET). */
const XFCC = 'x-forwarded-client-cert';

/** Records one trace header (`name` lower case). */
function traceHeader(out: ForwardHead, name: string, rawName: string, value: string): void {
  const t = (out.trace ??= { raw: [] });
  t.raw.push(rawName, value);
  switch (name) {
    case 'traceparent': t.traceparent ??= value; break;
    case 'tracestate': t.tracestate = t.tracestate === undefined ? value : `${t.tracestate},${value}`; break;
    case 'x-b3-traceid': t.b3TraceId ??= value; break;
    case 'x-b3-spanid': t.b3SpanId ??= value; break;
    case 'x-b3-sampled': t.b3Sampled ??= value; break;
    case 'x-b3-flags': t.b3Flags ??= value; break;
    case 'b3': t.b3 ??= value; break;
  }
}

/**
 * Filters a request's raw headers for the next hop (pure): drops hop-by-hop headers, headers named in
 * Connection, every `x-dockmesh-*` header (recording the source identity ones), any client-sent
 * `x-forwarded-client-cert`, and `x-forwarded-for` / `x-forwarded-proto` (recorded: the agent decides
 * what to send). Keeps case and repeated headers. Trace headers are recorded; with `ownTrace` (the
 * agent traces) they are dropped too, and the agent writes its own.
 */
export function forwardHeaders(raw: readonly string[], ownTrace = false): ForwardHead {
  const out: ForwardHead = { headers: [], hasBody: false, source: {} };
  let extraHop: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    // HTTP/2 pseudo-headers (the compatibility API lists them): the agent sets its own.
    if (name.charCodeAt(0) === 58) continue;
    if (HOP_BY_HOP.has(name)) {
      // `te: trailers` is how gRPC clients say they accept trailers: it must reach the server.
      if (name === 'te' && value.trim().toLowerCase() === 'trailers') {
        out.headers.push(raw[i]!, value);
        continue;
      }
      if (name === 'transfer-encoding') out.hasBody = true;
      else if (name === 'connection') {
        for (const t of value.split(',')) {
          const token = t.trim().toLowerCase();
          if (token && token !== 'close' && token !== 'keep-alive' && token !== 'upgrade') (extraHop ??= []).push(token);
        }
      }
      continue;
    }
    if (name.startsWith(DOCKMESH_PREFIX)) {
      if (name === SOURCE_HEADERS.workload) out.source.workload = value;
      else if (name === SOURCE_HEADERS.namespace) out.source.namespace = value;
      else if (name === SOURCE_HEADERS.service) out.source.service = value;
      else if (name === SOURCE_HEADERS.version) out.source.version = value;
      continue;
    }
    switch (name) {
      case XFCC:
        continue;
      case 'x-forwarded-for':
        out.forwardedFor = out.forwardedFor === undefined ? value : `${out.forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        out.forwardedProto ??= value;
        continue;
      case 'host': out.host = value; break;
      case 'x-request-id': out.requestId = value; break;
      case 'user-agent': out.userAgent = value; break;
      case 'content-length': {
        const n = Number(value);
        out.contentLength = n;
        if (n > 0) out.hasBody = true;
        break;
      }
      case 'traceparent': case 'tracestate': case 'b3':
      case 'x-b3-traceid': case 'x-b3-spanid': case 'x-b3-parentspanid': case 'x-b3-sampled': case 'x-b3-flags':
        traceHeader(out, name, raw[i]!, value);
        if (ownTrace) continue;
        break;
    }
    out.headers.push(raw[i]!, value);
  }
  if (extraHop) {
    const drop = new Set(extraHop);
    const kept: string[] = [];
    for (let i = 0; i < out.headers.length; i += 2) {
      if (!drop.has(out.headers[i]!.toLowerCase())) kept.push(out.headers[i]!, out.headers[i + 1]!);
    }
    out.headers = kept;
  }
  return out;
}

/**
 * Gives a request without an `x-request-id` a new one (a version 4 UUID, as Envoy generates), sent
 * upstream too; returns `head`.
 */
export function withRequestId(head: ForwardHead): ForwardHead {
  if (!head.requestId) {
    head.requestId = randomIds.uuid();
    head.headers.push('x-request-id', head.requestId);
  }
  return head;
}

/** A response header value as Node's writeHead takes it (repeated headers as an array). */
export type ResponseHeaderValue = string | string[];

/**
 * A parsed response header object (lower-case names, as undici gives it) as flat name/value pairs for
 * the downstream `writeHead` (pure): hop-by-hop headers and those named in Connection dropped. Flat,
 * not an object with entries deleted: Node writes a flat list without a for-in walk, and nothing
 * turns the object into a slow dictionary.
 */
export function forwardResponseHeaders(headers: Readonly<Record<string, ResponseHeaderValue | undefined>>): ResponseHeaderValue[] {
  const out: ResponseHeaderValue[] = [];
  const connection = headers.connection;
  let named: string[] | undefined;
  if (connection !== undefined) {
    for (const line of Array.isArray(connection) ? connection : [connection]) {
      for (const t of line.split(',')) (named ??= []).push(t.trim().toLowerCase());
    }
  }
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.includes(name)) continue;
    out.push(name, value);
  }
  return out;
}
