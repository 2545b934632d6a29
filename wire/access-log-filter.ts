/**
 * Istio Telemetry's access-log `filter.expression`: the CEL subset of cel.ts, compiled once into a
 * predicate over an access log line (pure). The control server
 * compiles it to check the meshfile; agents compile it again from their snapshot and run it on each
 * line they would write.
 *
 * Attributes, with Envoy's names: request.method, request.path, request.url_path, request.id, response.code,
 * connection.mtls, connection.uri_san_peer_certificate (the mTLS peer's SPIFFE ID), upstream.address,
 * and source.principal (the same ID, under dockmesh's name).
 * (Envoy's response.flags is a bit mask: not offered rather than offered as something else.) Anything else is not supported: `unsupported` says what, and the caller decides.
 */
import { compileCel, type CelAttributes } from './cel.ts';
import type { AccessLogEntry } from './types.ts';

export type AccessLogFilter =
  | { ok: true; test: (e: AccessLogEntry) => boolean }
  | { ok: false; error: string; unsupported: boolean };

/** The attributes a filter can read, with what they read from a line. */
const ATTRIBUTES: CelAttributes<AccessLogEntry> = {
  'request.method': (e) => e.method ?? '',
  'request.path': (e) => e.path ?? '',
  'request.url_path': (e) => {
    const p = e.path ?? '';
    const q = p.indexOf('?');
    return q < 0 ? p : p.slice(0, q);
  },
  'request.id': (e) => e.request_id ?? '',
  'response.code': (e) => e.status,
  'connection.mtls': (e) => e.source_principal !== undefined,
  'upstream.address': (e) => e.upstream ?? '',
  'connection.uri_san_peer_certificate': (e) => e.source_principal ?? '',
  'source.principal': (e) => e.source_principal ?? '',
};

/** Compiles `expression`. A line the expression errors on (a type mismatch at run time) is not logged. */
export function compileAccessLogFilter(expression: string): AccessLogFilter {
  const c = compileCel(expression, ATTRIBUTES);
  if (!c.ok) return c;
  const node = c.program.evaluate;
  return {
    ok: true,
    test: (e) => {
      try {
        return node(e) === true;
      } catch {
        return false;
      }
    },
  };
}
