/**
 * The extensions of a certificate, read from its DER (pure). node:crypto's X509Certificate answers
 * most questions, but not these two that secure naming needs exactly: how many subjectAltName
 * extensions there are (it prints only the first), and the basicConstraints cA flag as written (its
 * `ca` is OpenSSL's X509_check_ca, which also weighs keyUsage).
 *
 *   Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ..., extensions [3] EXPLICIT SEQUENCE OF
 *     Extension SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } } ... }
 */
import { derChildren, derOid, readDer, type DerNode } from './der-reader.ts';

export const SUBJECT_ALT_NAME_OID = '2.5.29.17';
export const BASIC_CONSTRAINTS_OID = '2.5.29.19';

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** The DER inside extnValue. */
  value: Uint8Array;
}

function expect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw new Error(`certificate: ${what} expected`);
  return node;
}

/** Every extension of the certificate, in order (none for a v1 certificate). Throws on malformed DER. */
export function certExtensions(der: Uint8Array): CertExtension[] {
  const cert = expect(readDer(der), 0x30, 'Certificate SEQUENCE');
  const tbs = expect(derChildren(der, cert)[0], 0x30, 'tbsCertificate SEQUENCE');
  const wrapper = derChildren(der, tbs).find((n) => n.tag === 0xa3);
  if (!wrapper) return [];
  const list = expect(derChildren(der, wrapper)[0], 0x30, 'Extensions SEQUENCE');
  return derChildren(der, list).map((ext) => {
    const [id, second, third] = derChildren(der, expect(ext, 0x30, 'Extension SEQUENCE'));
    const critical = second?.tag === 0x01;
    const value = expect(critical ? third : second, 0x04, 'extnValue OCTET STRING');
    return {
      oid: derOid(der, expect(id, 0x06, 'extnID')),
      critical: critical && second.end > second.start && der[second.start] !== 0,
      value: der.subarray(value.start, value.end),
    };
  });
}

/** basicConstraints' cA (`SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }`). */
export function basicConstraintsCa(value: Uint8Array): boolean {
  const seq = expect(readDer(value), 0x30, 'BasicConstraints SEQUENCE');
  const first = derChildren(value, seq)[0];
  return first?.tag === 0x01 && first.end > first.start && value[first.start] !== 0;
}
