/**
 * The identity of the peer agent at the other end of an inbound mTLS connection, verified once at
 * handshake time and attached to the TLS socket: the data path reads it per request (principal for
 * authorization and metrics, XFCC for the app) without touching the certificate again.
 */
import type { Socket } from 'node:net';
import { principalOf } from '../identity/verify-peer.ts';
import { xfccValue } from '../identity/xfcc.ts';

export interface VerifiedPeer {
  /** `spiffe://cluster.local/ns/<ns>/sa/<sa>`. */
  spiffeId: string;
  /** Istio's principal form: the ID without `spiffe://`. */
  principal: string;
  namespace: string;
  /** The service account: the peer's logical service. */
  service: string;
  /** `x-forwarded-client-cert` value for the app. */
  xfcc: string;
}

const PEER = Symbol.for('dockmesh.verifiedPeer');

/** Builds the peer record of a verified certificate (`localId`: our own SPIFFE ID, for XFCC's By). */
export function verifiedPeer(spiffeId: string, der: Uint8Array, localId: string): VerifiedPeer {
  const principal = principalOf(spiffeId);
  const parts = principal.split('/');
  return { spiffeId, principal, namespace: parts[2] ?? '', service: parts[4] ?? '', xfcc: xfccValue(localId, der, spiffeId) };
}

/** Attaches `peer` to a connection. */
export function setPeer(socket: Socket, peer: VerifiedPeer): void {
  (socket as unknown as Record<symbol, VerifiedPeer>)[PEER] = peer;
}

/** The verified peer of a connection, or undefined for plaintext (reads through HTTP/2's socket proxy too). */
export function peerOf(socket: Socket | null | undefined): VerifiedPeer | undefined {
  return socket ? (socket as unknown as Record<symbol, VerifiedPeer | undefined>)[PEER] : undefined;
}
