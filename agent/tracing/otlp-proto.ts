/**
 * OTLP/HTTP with the binary protobuf encoding (`Content-Type: application/x-protobuf`), the
 * encoding every OTLP receiver must accept and OpenTelemetry's SDKs send by default
 * (`http/protobuf`); some accept nothing else (Elastic APM Server, Seq). The same
 * `ExportTraceServiceRequest` as otlp-json.ts, field for field (opentelemetry-proto's
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto):
 *
 *   ExportTraceServiceRequest { 1 resource_spans: ResourceSpans }
 *   ResourceSpans { 1 resource: Resource { 1 attributes: KeyValue* }, 2 scope_spans: ScopeSpans }
 *   ScopeSpans { 1 scope: InstrumentationScope { 1 name, 2 version }, 2 spans: Span* }
 *   Span { 1 trace_id: bytes(16), 2 span_id: bytes(8), 3 trace_state, 4 parent_span_id: bytes(8),
 *          5 name, 6 kind, 7 start_time_unix_nano: fixed64, 8 end_time_unix_nano: fixed64,
 *          9 attributes: KeyValue*, 15 status: Status { 3 code } }
 *   KeyValue { 1 key, 2 value: AnyValue { 1 string_value | 2 bool_value | 3 int_value | 4 double_value } }
 *
 * Spans are written straight into the batch buffer, as span-writer.ts does for JSON: what repeats
 * per upstream (name, kind, the shared attributes) is encoded once and copied. Half the bytes of
 * the JSON: ids are raw bytes, times eight bytes, no key quoting; so the export's system calls and
 * the collector's parse get cheaper too. Nested messages are length-prefixed, so a span is written
 * after a 2-byte length (moved when it needs another size), and the request's head, whose lengths
 * depend on every span of the batch, is written in front of the spans when the batch is sent.
 */
import { HeadCache, headKey, type HeadKey } from './head-cache.ts';
import { SCOPE, spanUrl } from './otlp-json.ts';
import { stringUnits, tagFixedBytes, type AttributeValue, type SpanRecord } from './span-record.ts';

/** Wire types (low 3 bits of a tag). */
const VARINT = 0;
const I64 = 1;
const LEN = 2;

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** Bytes of `n` (a non-negative integer below 2^53) as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` (a non-negative integer below 2^53) as a varint at `off`; returns where it ended. */
export function putVarint(buf: Uint8Array, off: number, n: number): number {
  while (n >= 0x80000000) {
    buf[off++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  let x = n | 0;
  while (x >= 128) {
    buf[off++] = (x & 127) | 128;
    x >>>= 7;
  }
  buf[off++] = x;
  return off;
}

/** UTF-8 length of `s`: its length when it is ASCII (ids, times, methods, addresses, most paths). */
function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 127) return Buffer.byteLength(s, 'utf8');
  return n;
}

/** Writes `s`, whose UTF-8 length is `len`, at `off`. */
function putString(buf: Buffer, off: number, s: string, len: number): number {
  if (len === s.length) {
    for (let i = 0; i < len; i++) buf[off + i] = s.charCodeAt(i);
    return off + len;
  }
  return off + buf.write(s, off, 'utf8');
}

/** A string field: tag, length, bytes. */
function putStringField(buf: Buffer, off: number, t: number, s: string): number {
  const len = utf8Length(s);
  buf[off] = t;
  return putString(buf, putVarint(buf, off + 1, len), s, len);
}

/** Lower-case hex digits' values by character code; 255: not one. */
const HEX_VALUE = new Uint8Array(128).fill(255);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;

/**
 * `hex` as `hex.length / 2` raw bytes at `off`, when it is `digits` lower-case hex digits; -1
 * otherwise (the caller rewinds).
 */
function putHex(buf: Uint8Array, off: number, hex: string, digits: number): number {
  if (hex.length !== digits) return -1;
  for (let i = 0; i < digits; i += 2) {
    const a = hex.charCodeAt(i);
    const b = hex.charCodeAt(i + 1);
    const hi = a < 128 ? HEX_VALUE[a]! : 255;
    const lo = b < 128 ? HEX_VALUE[b]! : 255;
    if ((hi | lo) === 255) return -1;
    buf[off + (i >> 1)] = (hi << 4) | lo;
  }
  return off + (digits >> 1);
}

const TWO32 = 4294967296;

/**
 * Epoch milliseconds as fixed64 nanoseconds, to the microsecond (as otlp-json's `nanosOf`). The
 * nanoseconds pass 2^53, so they are made from the microseconds' two 32-bit halves.
 */
function putNanos(buf: Uint8Array, off: number, ms: number): number {
  const us = ms > 0 ? Math.round(ms * 1000) : 0;
  const usHi = Math.floor(us / TWO32);
  const low = (us - usHi * TWO32) * 1000;
  const carry = Math.floor(low / TWO32);
  put32(buf, off, low - carry * TWO32);
  put32(buf, off + 4, usHi * 1000 + carry);
  return off + 8;
}

/** A uint32 (as a double below 2^32), little-endian. */
function put32(buf: Uint8Array, off: number, v: number): void {
  const x = v >>> 0;
  buf[off] = x & 255;
  buf[off + 1] = (x >>> 8) & 255;
  buf[off + 2] = (x >>> 16) & 255;
  buf[off + 3] = x >>> 24;
}

/** An AnyValue's bytes. */
function anyValue(v: AttributeValue): Buffer {
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const out = Buffer.allocUnsafe(1 + varintSize(s.length) + s.length);
    out[0] = tag(1, LEN);
    s.copy(out, putVarint(out, 1, s.length));
    return out;
  }
  if (typeof v === 'boolean') return Buffer.from([tag(2, VARINT), v ? 1 : 0]);
  if (Number.isInteger(v)) {
    // int64 as a varint: a negative one is its two's complement, ten bytes.
    const big = BigInt.asUintN(64, BigInt(v));
    const bytes = [tag(3, VARINT)];
    let x = big;
    while (x >= 128n) {
      bytes.push(Number(x & 127n) | 128);
      x >>= 7n;
    }
    bytes.push(Number(x));
    return Buffer.from(bytes);
  }
  const out = Buffer.allocUnsafe(9);
  out[0] = tag(4, I64);
  out.writeDoubleLE(v, 1);
  return out;
}

/** A length-delimited field: tag, length, `body`. */
function lenField(field: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  out[0] = tag(field, LEN);
  out.set(body, putVarint(out, 1, body.length));
  return out;
}

/** One attribute as a `KeyValue` field of its message (field `field`: 9 in a Span, 1 in a Resource). */
function keyValueField(field: number, key: string, v: AttributeValue): Buffer {
  return lenField(field, Buffer.concat([lenField(1, Buffer.from(key, 'utf8')), lenField(2, anyValue(v))]));
}

/** A flat `[key, value, ...]` list as `KeyValue` fields. */
function attributesProto(field: number, flat: readonly AttributeValue[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < flat.length; i += 2) parts.push(keyValueField(field, String(flat[i]), flat[i + 1]!));
  return Buffer.concat(parts);
}

/** A Span attribute's key as `KeyValue.key` (`0a <len> key`), for the writers below to finish. */
const keyHead = (key: string): Buffer => lenField(1, Buffer.from(key, 'latin1'));

const K_METHOD = keyHead('http.method');
const K_URL = keyHead('http.url');
const K_STATUS = keyHead('http.status_code');
const K_FLAGS = keyHead('response_flags');
const K_PEER = keyHead('peer.address');
const K_REQUEST_SIZE = keyHead('request_size');
const K_RESPONSE_SIZE = keyHead('response_size');
const K_REQUEST_ID = keyHead('guid:x-request-id');
const K_USER_AGENT = keyHead('user_agent');
const K_ATTEMPT = keyHead('dockmesh.attempt');
const ERROR_ATTR = keyValueField(9, 'error', true);
/** `status { code: STATUS_CODE_ERROR }`, and the empty status (unset) as otlp-json writes `{}`. */
const STATUS_ERROR = Buffer.from([tag(15, LEN), 2, tag(3, VARINT), 2]);
const STATUS_UNSET = Buffer.from([tag(15, LEN), 0]);
const HTTP_PREFIX_BYTES = Buffer.from('http://', 'latin1');

const ATTR = tag(9, LEN);
const VALUE = tag(2, LEN);
const STRING_VALUE = tag(1, LEN);
const INT_VALUE = tag(3, VARINT);

/**
 * Writes `s` at `off` when it is ASCII (its length is then its UTF-8 length, which the caller has
 * already written); returns -1 at the first other character (the caller rewinds).
 */
function putAscii(buf: Uint8Array, off: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    buf[off + i] = c;
  }
  return off + n;
}

/** A string attribute: `KeyValue { key, value { string_value: s } }` as a Span field. */
function putStrAttr(buf: Buffer, off: number, key: Buffer, s: string): number {
  // Written as if ASCII, in one pass; anything else again with its UTF-8 length.
  const end = putStrAttrAs(buf, off, key, s, s.length, true);
  return end >= 0 ? end : putStrAttrAs(buf, off, key, s, Buffer.byteLength(s, 'utf8'), false);
}

function putStrAttrAs(buf: Buffer, off: number, key: Buffer, s: string, len: number, ascii: boolean): number {
  const o = putVarint(buf, putAttrHead(buf, off, key, 1 + varintSize(len) + len, STRING_VALUE), len);
  return ascii ? putAscii(buf, o, s) : o + buf.write(s, o, 'utf8');
}

/** An integer attribute (non-negative): `KeyValue { key, value { int_value: n } }`. */
function putIntAttr(buf: Buffer, off: number, key: Buffer, n: number): number {
  return putVarint(buf, putAttrHead(buf, off, key, 1 + varintSize(n), INT_VALUE), n);
}

/**
 * An attribute up to its value's own bytes: the Span field's tag and length, the key, the `value`
 * tag and length (`any`: the AnyValue's bytes), the AnyValue's tag `valueTag`. Returns where the
 * value goes.
 */
function putAttrHead(buf: Buffer, off: number, key: Buffer, any: number, valueTag: number): number {
  buf[off] = ATTR;
  let o = putVarint(buf, off + 1, key.length + 1 + varintSize(any) + any);
  buf.set(key, o);
  o += key.length;
  buf[o] = VALUE;
  o = putVarint(buf, o + 1, any);
  buf[o] = valueTag;
  return o + 1;
}

/** `http://<host><target>` (or an absolute-form target as it came) as the `http.url` attribute. */
function putUrlAttr(buf: Buffer, off: number, sp: SpanRecord): number {
  if (sp.urlHost === null) return putStrAttr(buf, off, K_URL, sp.urlTarget);
  // As if host and target were ASCII, in one pass; else the whole URL as one string.
  const len = HTTP_PREFIX_BYTES.length + sp.urlHost.length + sp.urlTarget.length;
  let o = putVarint(buf, putAttrHead(buf, off, K_URL, 1 + varintSize(len) + len, STRING_VALUE), len);
  buf.set(HTTP_PREFIX_BYTES, o);
  o = putAscii(buf, o + HTTP_PREFIX_BYTES.length, sp.urlHost);
  if (o >= 0) o = putAscii(buf, o, sp.urlTarget);
  return o >= 0 ? o : putStrAttr(buf, off, K_URL, spanUrl(sp));
}

/** A cached head: what it depends on, and its bytes. */
interface Statics extends HeadKey {
  /** `name` and `kind` fields. */
  head: Buffer;
  /** The attributes that repeat: protocol, cluster, upstream, the shared ones. */
  attrs: Buffer;
}

function staticsOf(sp: SpanRecord): Statics {
  const name = Buffer.from(sp.name, 'utf8');
  const head = Buffer.concat([lenField(5, name), Buffer.from([tag(6, VARINT), sp.kind])]);
  const flat: AttributeValue[] = ['http.protocol', sp.protocol, 'upstream_cluster', sp.cluster, 'upstream_cluster.name', sp.cluster];
  if (sp.upstream !== undefined) flat.push('upstream_address', sp.upstream);
  flat.push(...sp.common);
  const attrs = attributesProto(9, flat);
  return { ...headKey(sp), head, attrs };
}

/** Bytes of a span beyond its heads and strings (tags, lengths, ids, times, numbers; generous). */
const FIXED_BYTES = 512;

/** The span's own length is written in 2 bytes, and the span moved when it needs 1 or 3. */
const LENGTH_ROOM = 2;

/**
 * Encodes spans into buffers as `Span` messages (each as field 2 of a ScopeSpans), keeping the
 * encoded heads of the upstreams it has seen. The same interface as the JSON SpanWriter.
 */
export class ProtoSpanWriter {
  readonly #heads = new HeadCache(staticsOf);
  readonly #tagKeys = new Map<string, Buffer>();

  /** Bytes `write` may use for `sp` at most. */
  bound(sp: SpanRecord): number {
    const s = this.#heads.of(sp);
    const strings = stringUnits(sp) + sp.traceId.length + sp.spanId.length + (sp.parentSpanId?.length ?? 0);
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    return s.head.length + s.attrs.length + 3 * strings + FIXED_BYTES + tagFixedBytes(sp);
  }

  /** Writes `sp` (tag, length, message) at `off`; returns where it ended. */
  write(buf: Buffer, off: number, sp: SpanRecord): number {
    const s = this.#heads.of(sp);
    const start = off + 1 + LENGTH_ROOM;
    let o = start;
    o = this.#id(buf, o, 1, sp.traceId, 32);
    o = this.#id(buf, o, 2, sp.spanId, 16);
    if (sp.traceState) o = putStringField(buf, o, tag(3, LEN), sp.traceState);
    if (sp.parentSpanId) o = this.#id(buf, o, 4, sp.parentSpanId, 16);
    buf.set(s.head, o);
    o += s.head.length;
    buf[o] = tag(7, I64);
    o = putNanos(buf, o + 1, sp.startMs);
    buf[o] = tag(8, I64);
    o = putNanos(buf, o + 1, sp.endMs);
    buf.set(s.attrs, o);
    o += s.attrs.length;
    o = putStrAttr(buf, o, K_METHOD, sp.method);
    o = putUrlAttr(buf, o, sp);
    o = putIntAttr(buf, o, K_STATUS, uint(sp.status));
    o = putStrAttr(buf, o, K_FLAGS, sp.flags);
    o = putStrAttr(buf, o, K_PEER, sp.peer);
    o = putIntAttr(buf, o, K_REQUEST_SIZE, uint(sp.requestSize));
    o = putIntAttr(buf, o, K_RESPONSE_SIZE, uint(sp.responseSize));
    if (sp.requestId !== undefined) o = putStrAttr(buf, o, K_REQUEST_ID, sp.requestId);
    if (sp.userAgent !== undefined) o = putStrAttr(buf, o, K_USER_AGENT, sp.userAgent);
    if (sp.attempt > 0) o = putIntAttr(buf, o, K_ATTEMPT, uint(sp.attempt));
    if (sp.tags !== undefined) {
      // Header custom tags: only when a Telemetry document asks for them.
      const tags = sp.tags;
      for (let i = 0; i < tags.length; i += 2) o = putStrAttr(buf, o, this.#tagKey(tags[i]!), tags[i + 1]!);
    }
    if (sp.error) {
      buf.set(ERROR_ATTR, o);
      o += ERROR_ATTR.length;
    }
    const status = sp.error ? STATUS_ERROR : STATUS_UNSET;
    buf.set(status, o);
    o += status.length;
    // Field 2 of ScopeSpans, then the span's length in as many bytes as it takes.
    const len = o - start;
    const size = varintSize(len);
    buf[off] = tag(2, LEN);
    if (size !== LENGTH_ROOM) {
      buf.copyWithin(off + 1 + size, start, o);
      o += size - LENGTH_ROOM;
    }
    putVarint(buf, off + 1, len);
    return o;
  }

  /** A header tag's `KeyValue.key`, encoded once per name. */
  #tagKey(name: string): Buffer {
    let k = this.#tagKeys.get(name);
    if (k === undefined) {
      if (this.#tagKeys.size >= 64) this.#tagKeys.clear();
      k = lenField(1, Buffer.from(name, 'utf8'));
      this.#tagKeys.set(name, k);
    }
    return k;
  }

  /** A trace or span id as raw bytes; one that is not lower-case hex of its length (never made by the agent) as its text, so nothing is lost. */
  #id(buf: Buffer, off: number, field: number, id: string, hexDigits: number): number {
    buf[off] = tag(field, LEN);
    buf[off + 1] = hexDigits >> 1;
    const end = putHex(buf, off + 2, id, hexDigits);
    return end >= 0 ? end : putStringField(buf, off, tag(field, LEN), id);
  }
}

/** A count as a varint can hold it: a non-negative safe integer, else 0. */
const uint = (n: number): number => (Number.isSafeInteger(n) && n >= 0 ? n : 0);

const SCOPE_FIELD = lenField(1, Buffer.concat([lenField(1, Buffer.from(SCOPE.name)), lenField(2, Buffer.from(SCOPE.version))]));

/** The encoded resource, for {@link protoHead}. */
export function resourceProto(resource: readonly AttributeValue[]): Buffer {
  return lenField(1, attributesProto(1, resource));
}

/** Bytes {@link protoHead} writes for `spanBytes` bytes of spans. */
export function protoHeadSize(resourceField: Buffer, spanBytes: number): number {
  const scopeSpans = SCOPE_FIELD.length + spanBytes;
  const resourceSpans = resourceField.length + 1 + varintSize(scopeSpans) + scopeSpans;
  return 1 + varintSize(resourceSpans) + resourceField.length + 1 + varintSize(scopeSpans) + SCOPE_FIELD.length;
}

/**
 * Writes what comes before `spanBytes` bytes of spans in a request body, so that it ends at `end`
 * (where the spans begin): the request's one ResourceSpans (its resource) and its one ScopeSpans
 * (the scope). Returns where it starts. The spans need nothing after them.
 */
export function protoHead(buf: Buffer, end: number, resourceField: Buffer, spanBytes: number): number {
  const scopeSpans = SCOPE_FIELD.length + spanBytes;
  const resourceSpans = resourceField.length + 1 + varintSize(scopeSpans) + scopeSpans;
  const start = end - protoHeadSize(resourceField, spanBytes);
  buf[start] = tag(1, LEN);
  let o = putVarint(buf, start + 1, resourceSpans);
  buf.set(resourceField, o);
  o += resourceField.length;
  buf[o] = tag(2, LEN);
  o = putVarint(buf, o + 1, scopeSpans);
  buf.set(SCOPE_FIELD, o);
  return start;
}
