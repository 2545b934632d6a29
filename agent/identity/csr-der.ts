/**
 * A PKCS#10 certificate request (RFC 2986) for an EC key, signed with ECDSA/SHA-256, encoded with
 * node:crypto and a few DER primitives instead of an ASN.1 library (loading @peculiar/x509 cost every
 * agent ~10 MB of RSS, for one request a day):
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo SEQUENCE { version INTEGER 0, subject Name, subjectPKInfo, attributes [0] },
 *     signatureAlgorithm       SEQUENCE { ecdsa-with-SHA256 },
 *     signature                BIT STRING (the DER ECDSA-Sig-Value) }
 *
 * `attributes` is empty unless URIs are asked for; then it holds one extensionRequest with a
 * subjectAltName of those URIs.
 */
import type { KeyObject } from 'node:crypto';
import { nodeCrypto } from '../lazy-builtins.ts';
import { der } from './der.ts';

export const OID = {
  organizationName: '2.5.4.10',
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
} as const;

export interface CsrFields {
  /** The subject's RDNs in order, one attribute each: `[[OID.organizationName, 'dockmesh']]`. */
  subject: ReadonlyArray<readonly [oid: string, value: string]>;
  /** URI SANs to request (an extensionRequest attribute); none: no attributes. */
  uris?: readonly string[];
}

function attributes(uris: readonly string[] | undefined): Buffer {
  if (!uris?.length) return der.context(0);
  const generalNames = der.sequence(...uris.map((u) => der.contextPrimitive(6, der.ia5Bytes(u))));
  const san = der.sequence(der.oid(OID.subjectAltName), der.octetString(generalNames));
  return der.context(0, der.sequence(der.oid(OID.extensionRequest), der.setOf(der.sequence(san))));
}

/** The DER of a request for `privateKey`'s public key, signed by it. EC keys only. */
export function csrDer(privateKey: KeyObject, fields: CsrFields): Buffer {
  if (privateKey.asymmetricKeyType !== 'ec') throw new Error(`csrDer signs with EC keys only, not ${privateKey.asymmetricKeyType}`);
  const name = der.sequence(...fields.subject.map(([oid, value]) => der.setOf(der.sequence(der.oid(oid), der.directoryString(value)))));
  const { createPublicKey, sign } = nodeCrypto();
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const info = der.sequence(der.uint(0), name, spki, attributes(fields.uris));
  const signature = sign('sha256', info, privateKey);
  return der.sequence(info, der.sequence(der.oid(OID.ecdsaWithSha256)), der.bitString(signature));
}
