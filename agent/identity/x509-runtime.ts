/**
 * The one place agent/ loads @peculiar/x509: it needs `reflect-metadata` imported first, and Node's
 * webcrypto as its provider (PINS.md). (control/ca has its twin: agent/ never imports control/.)
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle as unknown as SubtleCrypto;
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
