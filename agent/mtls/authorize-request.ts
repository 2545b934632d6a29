/**
 * The inbound agent's AuthorizationPolicy check of one HTTP request or one opaque TCP connection:
 * the attributes Istio's policies read, from the canonical request and the verified peer.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AuthzDecision, CompiledAuthz, RequestAuth } from '../authz/compile-authz.ts';
import type { CanonicalRequest } from '../canonical/canonical-request.ts';
import type { VerifiedPeer } from './verified-peer.ts';

function address(a: string | undefined): string {
  const v = a ?? '';
  return v.startsWith('::ffff:') ? v.slice(7) : v;
}

/**
 * Decision for an HTTP request to app port `port` (the path without query, the canonical host);
 * `sourceIp`: the connection's peer address when the request's socket does not know it (HTTP/2);
 * `auth`: the request's verified JWT.
 */
export function authorizeRequest(
  authz: CompiledAuthz,
  req: IncomingMessage,
  peer: VerifiedPeer | undefined,
  canon: CanonicalRequest,
  port: number,
  sourceIp?: string,
  auth?: RequestAuth,
): AuthzDecision {
  return authz({
    auth,
    principal: peer?.principal,
    namespace: peer?.namespace,
    sourceIp: sourceIp || address(req.socket?.remoteAddress),
    destinationIp: address(req.socket?.localAddress),
    port,
    protocol: 'http',
    method: req.method,
    path: canon.path,
    host: canon.host,
    headers: req.headers,
  });
}

/** Decision for an opaque TCP connection: only the fields that apply to TCP (HTTP-only ones as Istio treats them). */
export function authorizeConnection(authz: CompiledAuthz, socket: Socket, peer: VerifiedPeer | undefined, port: number): AuthzDecision {
  return authz({
    principal: peer?.principal,
    namespace: peer?.namespace,
    sourceIp: address(socket.remoteAddress),
    destinationIp: address(socket.localAddress),
    port,
    protocol: 'tcp',
  });
}
