/**
 * The one place control/ loads @peculiar/x509: it needs `reflect-metadata` imported first, and Node's
 * webcrypto as its provider (PINS.md).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle as unknown as SubtleCrypto;

/** ECDSA P-256 with SHA-256: the only key and signature algorithm dockmesh issues. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A random positive 128-bit serial number in hex (RFC 5280: at most 20 octets, positive). */
export function randomSerial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return Buffer.from(b).toString('hex');
}
