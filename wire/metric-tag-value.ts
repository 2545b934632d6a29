/**
 * Istio Telemetry's metric `tagOverrides[].value`: a CEL expression (the subset of cel.ts) whose
 * value becomes a label's value (pure). The control server compiles it to check the meshfile; agents
 * compile it again from their snapshot. A value that reads no attribute is a constant, rendered once
 * per label set; one that reads the request is evaluated per request, for the metrics it is set on.
 *
 * Attributes, with Envoy's names: request.method, request.host (the authority), request.path,
 * request.url_path (without the query), request.useragent, request.headers (a map:
 * `request.headers['x-tenant']`), response.code, destination.port (the service port called,
 * outbound; the app's port, inbound), connection.mtls, connection.uri_san_peer_certificate (the mTLS
 * peer's SPIFFE ID, inbound). A TCP metric has no request: a value reading an attribute is `unknown`
 * there, as is a value whose evaluation fails (Istio's stats plugin reports `unknown` for what it
 * cannot evaluate).
 */
import { CelMap, compileCel, headerText, urlPath, type CelAttributes, type CelValue, type RequestHeaders } from './cel.ts';

/** What a tag value can read of a finished HTTP request. */
export interface MetricRequest {
  method: string;
  host: string;
  path: string;
  status: number;
  port: number;
  /** The peer's SPIFFE ID when it presented a verified certificate (inbound mTLS). */
  principal: string | undefined;
  /** The request's headers as it arrived. */
  headers: RequestHeaders | undefined;
}

export const UNKNOWN_TAG_VALUE = 'unknown';

const ATTRIBUTES: CelAttributes<MetricRequest> = {
  'request.method': (r) => r.method,
  'request.host': (r) => r.host,
  'request.path': (r) => r.path,
  'request.url_path': (r) => urlPath(r.path),
  'request.useragent': (r) => headerText(r.headers, 'user-agent'),
  'request.headers': (r) => (r.headers ? new CelMap(r.headers) : undefined),
  'response.code': (r) => r.status,
  'destination.port': (r) => r.port,
  'connection.mtls': (r) => r.principal !== undefined,
  'connection.uri_san_peer_certificate': (r) => r.principal ?? '',
};

/** A compiled tag value: a constant, or a function of the request. */
export type MetricTagValue =
  | { ok: true; constant: string; value?: undefined }
  | { ok: true; constant?: undefined; value: (r: MetricRequest) => string }
  | { ok: false; error: string; unsupported: boolean };

function labelValue(v: CelValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return UNKNOWN_TAG_VALUE;
}

/** Compiles `expression` (a tag override's value). */
export function compileMetricTagValue(expression: string): MetricTagValue {
  const c = compileCel(expression, ATTRIBUTES);
  if (!c.ok) return c;
  const { evaluate, constant } = c.program;
  const value = (r: MetricRequest): string => {
    try {
      return labelValue(evaluate(r));
    } catch {
      return UNKNOWN_TAG_VALUE;
    }
  };
  if (constant) return { ok: true, constant: value(undefined as unknown as MetricRequest) };
  return { ok: true, value };
}
