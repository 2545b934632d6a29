/**
 * A fresh ECDSA P-256 key (node:crypto, generated off the main thread) and a PKCS#10 request for it.
 * The request's subject is `O=dockmesh` and it carries no names: the CA decides the identity from the
 * container, not from anything the agent claims.
 */
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { nodeCrypto } from '../lazy-builtins.ts';
import { csrDer, OID } from './csr-der.ts';

export interface WorkloadKey {
  /** PKCS#8 PEM, for `tls.createSecureContext({key})`. */
  keyPem: string;
  /** PEM `CERTIFICATE REQUEST`. */
  csrPem: string;
}

/** PEM armour (RFC 7468): base64 in 64-character lines, ending with a newline. */
function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export async function createWorkloadKey(): Promise<WorkloadKey> {
  const generateEcKey = promisify(nodeCrypto().generateKeyPair);
  const { privateKey } = (await generateEcKey('ec', { namedCurve: 'P-256' })) as { privateKey: KeyObject };
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    csrPem: pem('CERTIFICATE REQUEST', csrDer(privateKey, { subject: [[OID.organizationName, 'dockmesh']] })),
  };
}
