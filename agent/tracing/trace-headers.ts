/**
 * Trace context on the wire (pure): W3C `traceparent`/`tracestate` and B3 (multi-header `x-b3-*` and
 * the single `b3` header), parsed into one {@link IncomingTrace} and written back for the next hop.
 */

/** The raw trace headers of a request, as `forwardHeaders` recorded them. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
  b3TraceId?: string;
  b3SpanId?: string;
  b3Sampled?: string;
  b3Flags?: string;
  /** The single-header form. */
  b3?: string;
  /** Every trace header as received (flat name/value pairs), to pass on unchanged. */
  raw: string[];
}

/** How the caller spoke: the agent answers the next hop in the same B3 form (plus `traceparent`). */
export type B3Form = 'none' | 'multi' | 'single';

/** The trace context a request arrived with. */
export interface IncomingTrace {
  /** 32 lower-case hex digits; undefined when the caller sent only a sampling decision. */
  traceId: string | undefined;
  /** The caller's span (16 hex digits): the parent of the agent's span. */
  spanId: string | undefined;
  /** The caller's sampling decision; undefined: none (the agent decides). */
  sampled: boolean | undefined;
  /** W3C `tracestate`, passed on only with a valid `traceparent`. */
  tracestate: string | undefined;
  b3: B3Form;
  /** B3 trace id as received (16 or 32 digits), echoed in B3 headers. */
  b3TraceId: string | undefined;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

function isHex(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** A W3C `traceparent` (version 00, or a later version read as 00), or undefined when invalid. */
export function parseTraceparent(v: string): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const s = v.trim().toLowerCase();
  if (s.length < 55 || s[2] !== '-' || s[35] !== '-' || s[52] !== '-') return undefined;
  if (!isHex(s, 0, 2) || s.startsWith('ff')) return undefined;
  if (s.startsWith('00') ? s.length !== 55 : s.length > 55 && s[55] !== '-') return undefined;
  if (!isHex(s, 3, 35) || !isHex(s, 36, 52) || !isHex(s, 53, 55)) return undefined;
  const traceId = s.slice(3, 35);
  const spanId = s.slice(36, 52);
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (parseInt(s.slice(53, 55), 16) & 1) === 1 };
}

/** A B3 trace id (16 or 32 hex digits) widened to 32, or undefined. */
function b3TraceIdOf(v: string): string | undefined {
  const s = v.toLowerCase();
  if ((s.length !== 16 && s.length !== 32) || !isHex(s, 0, s.length)) return undefined;
  const id = s.length === 16 ? ZERO_SPAN + s : s;
  return id === ZERO_TRACE ? undefined : id;
}

function b3SpanId(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  return s.length === 16 && isHex(s, 0, 16) && s !== ZERO_SPAN ? s : undefined;
}

/** B3 sampling state: `1`/`true`/`d` (debug) sampled, `0`/`false` not; else no decision. */
function b3Sampled(v: string | undefined): boolean | undefined {
  switch (v?.trim().toLowerCase()) {
    case '1': case 'true': case 'd': return true;
    case '0': case 'false': return false;
    default: return undefined;
  }
}

function none(sampled: boolean | undefined, b3: B3Form): IncomingTrace {
  return { traceId: undefined, spanId: undefined, sampled, tracestate: undefined, b3, b3TraceId: undefined };
}

/** The single `b3` header: `{trace}-{span}[-{sampling}[-{parent}]]` or just `{sampling}`. */
function parseB3Single(v: string): IncomingTrace | undefined {
  const parts = v.trim().split('-');
  if (parts.length === 1) {
    const sampled = b3Sampled(parts[0]);
    return sampled === undefined ? undefined : none(sampled, 'single');
  }
  const traceId = b3TraceIdOf(parts[0]!);
  const spanId = b3SpanId(parts[1]);
  if (!traceId || !spanId || parts.length > 4) return undefined;
  return { traceId, spanId, sampled: b3Sampled(parts[2]), tracestate: undefined, b3: 'single', b3TraceId: parts[0]!.toLowerCase() };
}

/**
 * The trace context of a request: `traceparent` when valid (with its `tracestate`), else the single
 * `b3` header, else the `x-b3-*` headers; a sampling decision alone (`x-b3-sampled: 0`, `b3: 0`)
 * counts. Undefined: none (the agent starts a trace).
 */
export function incomingTrace(h: TraceHeaders | undefined): IncomingTrace | undefined {
  if (!h) return undefined;
  if (h.traceparent !== undefined) {
    const tp = parseTraceparent(h.traceparent);
    if (tp) {
      // B3 alongside (an agent sends both to a B3 caller's next hop): keep answering in B3 too.
      const b3: B3Form = h.b3 !== undefined ? 'single' : h.b3TraceId !== undefined ? 'multi' : 'none';
      const raw = b3 === 'single' ? h.b3!.trim().split('-')[0]! : h.b3TraceId?.trim();
      const b3TraceId = raw !== undefined && b3TraceIdOf(raw) === tp.traceId ? raw.toLowerCase() : undefined;
      return { traceId: tp.traceId, spanId: tp.spanId, sampled: tp.sampled, tracestate: h.tracestate, b3, b3TraceId };
    }
  }
  if (h.b3 !== undefined) {
    const t = parseB3Single(h.b3);
    if (t) return t;
  }
  const sampled = h.b3Flags?.trim() === '1' ? true : b3Sampled(h.b3Sampled);
  if (h.b3TraceId !== undefined) {
    const traceId = b3TraceIdOf(h.b3TraceId.trim());
    const spanId = b3SpanId(h.b3SpanId?.trim());
    if (traceId && spanId) return { traceId, spanId, sampled, tracestate: undefined, b3: 'multi', b3TraceId: h.b3TraceId.trim().toLowerCase() };
  }
  return sampled === undefined ? undefined : none(sampled, h.b3 !== undefined ? 'single' : 'multi');
}

/** A W3C `traceparent` value. */
export function traceparentOf(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * Appends the headers that tell the next hop its parent is `spanId` of trace `traceId`: always
 * `traceparent`; `tracestate` when the caller sent one with a valid `traceparent`; and B3 in the form
 * the caller used (`parentId`: the caller's span, B3's `x-b3-parentspanid`).
 */
export function pushTraceHeaders(out: string[], traceId: string, spanId: string, sampled: boolean, from: IncomingTrace | undefined): void {
  out.push('traceparent', traceparentOf(traceId, spanId, sampled));
  if (!from) return;
  if (from.tracestate !== undefined) out.push('tracestate', from.tracestate);
  if (from.b3 === 'none') return;
  const b3Trace = from.b3TraceId ?? traceId;
  const flag = sampled ? '1' : '0';
  if (from.b3 === 'single') {
    out.push('b3', from.spanId ? `${b3Trace}-${spanId}-${flag}-${from.spanId}` : `${b3Trace}-${spanId}-${flag}`);
    return;
  }
  out.push('x-b3-traceid', b3Trace, 'x-b3-spanid', spanId, 'x-b3-sampled', flag);
  if (from.spanId) out.push('x-b3-parentspanid', from.spanId);
}
