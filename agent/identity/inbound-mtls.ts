/**
 * What the inbound listener does with a new connection, from the snapshot's PeerAuthentication result
 * and the connection's first bytes (pure):
 *   STRICT      TLS required: anything else is closed before a byte reaches the app;
 *   PERMISSIVE  TLS if the first bytes are a TLS handshake record, plaintext otherwise;
 *   DISABLE     plaintext: bytes are passed as they come (a TLS client reaches the app as is).
 */
import type { InboundSnapshot, MtlsModeSnapshot } from '../../wire/types.ts';

/** The mode in force on an app port; no snapshot part: PERMISSIVE (DESIGN.md: no meshfile). */
export function inboundMtlsMode(inbound: InboundSnapshot | undefined, port: number): MtlsModeSnapshot {
  if (!inbound) return 'PERMISSIVE';
  return inbound.mtls.ports?.[String(port)] ?? inbound.mtls.mode;
}

/** A TLS record header starting a handshake: content type 22, protocol major version 3. */
export function looksLikeTls(first: Uint8Array): boolean {
  return first.length >= 1 && first[0] === 0x16 && (first.length < 2 || first[1] === 0x03);
}

export type InboundAction = 'tls' | 'plaintext' | 'refuse';

export function inboundAction(mode: MtlsModeSnapshot, first: Uint8Array): InboundAction {
  if (mode === 'DISABLE') return 'plaintext';
  const tls = looksLikeTls(first);
  if (mode === 'STRICT') return tls ? 'tls' : 'refuse';
  return tls ? 'tls' : 'plaintext';
}
