/** OTLP span kinds the agent emits (the protobuf enum values). */
export const SPAN_KIND = { server: 2, client: 3 } as const;

/** An attribute value: strings, integers (OTLP intValue), other numbers (doubleValue), booleans. */
export type AttributeValue = string | number | boolean;

/** One finished span, kept as plain data until the batch it goes out in is encoded. */
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
  /** Flat key/value pairs: `[key, value, key, value, ...]`. */
  attributes: AttributeValue[];
  /** Attributes every span of the agent shares, already encoded: an OTLP/JSON fragment, or ''. */
  common: string;
  /** Status ERROR (a 5xx answer, or no answer). */
  error: boolean;
}
