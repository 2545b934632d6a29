/**
 * Istio Telemetry's access-log `filter.expression`: the CEL subset of cel.ts, compiled once into a
 * predicate over an access log line (pure). The control server
 * compiles it to check the meshfile; agents compile it again from their snapshot and run it on each
 * line they would write.
 *
 * Attributes, with Envoy's names: request.method, request.path, request.url_path, request.id,
 * request.host, request.useragent, request.headers (a map: `request.headers['x-debug']`), response.code,
 * connection.mtls, connection.uri_san_peer_certificate (the mTLS peer's SPIFFE ID), upstream.address,
 * and source.principal (the same ID, under dockmesh's name). The request's headers are those it
 * arrived with; a TCP connection has none (those attributes are absent: `has()` is false).
 * (Envoy's response.flags is a bit mask: not offered rather than offered as something else.) Anything else is not supported: `unsupported` says what, and the caller decides.
 */
import { CelMap, compileCel, headerText, urlPath, type CelAttributes, type RequestHeaders } from './cel.ts';
import type { AccessLogEntry } from './types.ts';

export type { RequestHeaders } from './cel.ts';

export type AccessLogFilter =
  | { ok: true; test: (e: AccessLogEntry, headers?: RequestHeaders) => boolean }
  | { ok: false; error: string; unsupported: boolean };

/** What a filter reads: the line, and the request's headers (none for a TCP connection). */
interface FilterInput {
  e: AccessLogEntry;
  h: RequestHeaders | undefined;
}

/** The attributes a filter can read, with what they read from a line (undefined: absent). */
const ATTRIBUTES: CelAttributes<FilterInput> = {
  'request.method': (x) => x.e.method ?? '',
  'request.path': (x) => x.e.path ?? '',
  'request.url_path': (x) => urlPath(x.e.path ?? ''),
  'request.id': (x) => x.e.request_id ?? '',
  'request.host': (x) => headerText(x.h, 'host') ?? headerText(x.h, ':authority'),
  'request.useragent': (x) => headerText(x.h, 'user-agent'),
  'request.headers': (x) => (x.h ? new CelMap(x.h) : undefined),
  'response.code': (x) => x.e.status,
  'connection.mtls': (x) => x.e.source_principal !== undefined,
  'upstream.address': (x) => x.e.upstream ?? '',
  'connection.uri_san_peer_certificate': (x) => x.e.source_principal ?? '',
  'source.principal': (x) => x.e.source_principal ?? '',
};

/** Compiles `expression`. A line the expression errors on (a type mismatch at run time) is not logged. */
export function compileAccessLogFilter(expression: string): AccessLogFilter {
  const c = compileCel(expression, ATTRIBUTES);
  if (!c.ok) return c;
  const node = c.program.evaluate;
  // One input object per filter, filled per line (a filter runs on the agent's one thread).
  const input: FilterInput = { e: undefined as unknown as AccessLogEntry, h: undefined };
  return {
    ok: true,
    test: (e, headers) => {
      input.e = e;
      input.h = headers;
      try {
        return node(input) === true;
      } catch {
        return false;
      } finally {
        input.h = undefined;
      }
    },
  };
}
