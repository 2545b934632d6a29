/** OTLP span kinds the agent emits (the protobuf enum values). */
export const SPAN_KIND = { server: 2, client: 3 } as const;

/** An attribute value: strings, integers (OTLP intValue), other numbers (doubleValue), booleans. */
export type AttributeValue = string | number | boolean;

/**
 * One finished span of a proxied HTTP request, as plain data with a fixed shape until it is encoded
 * (on the next event-loop turn). Its attributes are fields, not a list: every span of the agent has
 * the same ones (span-attributes.ts names them), and the encoder writes them in one pass.
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Undefined: a root span. */
  parentSpanId: string | undefined;
  traceState: string | undefined;
  name: string;
  kind: (typeof SPAN_KIND)[keyof typeof SPAN_KIND];
  /** Unix epoch milliseconds, with sub-millisecond fraction. */
  startMs: number;
  endMs: number;
  /** Status ERROR (a 5xx answer, no answer, or a failed attempt); also the `error` attribute. */
  error: boolean;
  method: string;
  /** The request's Host (`http.url` is `http://<urlHost><urlTarget>`); null: the target is absolute-form, `http.url` as it came. */
  urlHost: string | null;
  /** The request target as it came. */
  urlTarget: string;
  protocol: 'HTTP/1.1' | 'HTTP/2';
  /** 0: no response. */
  status: number;
  /** Envoy's response flags. */
  flags: string;
  /** `upstream_cluster`: `outbound|...`, `inbound|<port>||`, or `-`. */
  cluster: string;
  /** `upstream_address`, when there was one. */
  upstream: string | undefined;
  /** `peer.address`: the other side of the span. */
  peer: string;
  requestSize: number;
  responseSize: number;
  requestId: string | undefined;
  userAgent: string | undefined;
  /** CLIENT spans of attempts: 1 for the first try; 0: not an attempt. */
  attempt: number;
  /** Attributes every span of the agent shares (flat `[key, value, ...]`; the same array span after span). */
  common: readonly AttributeValue[];
  /** Telemetry `customTags` read from the request's headers (flat `[key, value, ...]`); undefined: none configured or none present. */
  tags: readonly string[] | undefined;
}

/** UTF-16 units of the strings a span carries that are not part of its cached head (for the writers' bounds). */
export function stringUnits(sp: SpanRecord): number {
  return sp.method.length + sp.urlTarget.length + (sp.urlHost?.length ?? 0) + sp.flags.length + sp.peer.length +
    (sp.traceState?.length ?? 0) + (sp.requestId?.length ?? 0) + (sp.userAgent?.length ?? 0) + (sp.tags === undefined ? 0 : tagUnits(sp.tags));
}

/** Bytes an encoder needs per header tag beyond its strings (generous). */
const TAG_FIXED_BYTES = 64;

/** Bytes the encoders may need for a span's header tags beyond their strings. */
export function tagFixedBytes(sp: SpanRecord): number {
  return sp.tags === undefined ? 0 : (sp.tags.length / 2) * TAG_FIXED_BYTES;
}

function tagUnits(tags: readonly string[]): number {
  let n = 0;
  for (const t of tags) n += t.length;
  return n;
}
