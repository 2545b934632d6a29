/**
 * Secure naming, from the raw certificate (pure). Node's default `checkServerIdentity` compares DNS
 * names and the CN with the host name, which is meaningless for SPIFFE: a workload certificate has
 * exactly one URI SAN, its SPIFFE ID, and the client must check that ID against the identities the
 * destination service may run as. The chain itself is verified by TLS (rejectUnauthorized against the
 * trust bundle) before this is called; this adds what TLS does not know.
 */
import type { X509Certificate } from 'node:crypto';
import { nodeCrypto } from '../lazy-builtins.ts';
import { BASIC_CONSTRAINTS_OID, basicConstraintsCa, certExtensions, SUBJECT_ALT_NAME_OID, type CertExtension } from './cert-extensions.ts';
import { parseSubjectAltNames, uriNames } from './subject-alt-names.ts';

export const TRUST_DOMAIN = 'cluster.local';

/** SPIFFE path segment: letters, digits, `.`, `-`, `_` (not `.` or `..`). */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

export interface PeerCheck {
  ok: boolean;
  /** The certificate's SPIFFE ID, when it has a well-formed one. */
  spiffeId?: string;
  /** Why not ok. */
  reason?: string;
}

/** The DER of a certificate: raw bytes, or a `tls.PeerCertificate` (its `raw`). */
export type PeerCertInput = Uint8Array | { raw?: Uint8Array } | null | undefined;

/** True for `spiffe://cluster.local/ns/<ns>/sa/<sa>` with valid segments. */
export function isWorkloadSpiffeId(id: string): boolean {
  const prefix = `spiffe://${TRUST_DOMAIN}/`;
  if (!id.startsWith(prefix)) return false;
  const parts = id.slice(prefix.length).split('/');
  return (
    parts.length === 4 &&
    parts[0] === 'ns' &&
    parts[2] === 'sa' &&
    [parts[1]!, parts[3]!].every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')
  );
}

/**
 * Checks that the peer certificate names exactly one workload SPIFFE ID in our trust domain and,
 * when `expectedIds` is given, that it is one of them (full `spiffe://` IDs). `expectedIds`
 * undefined: any workload ID (the server side, which records the principal).
 */
export function verifyPeer(cert: PeerCertInput, expectedIds?: readonly string[]): PeerCheck {
  const raw = cert instanceof Uint8Array ? cert : cert?.raw;
  if (!raw || raw.length === 0) return { ok: false, reason: 'no peer certificate' };
  let c: X509Certificate;
  let extensions: CertExtension[];
  let ca: boolean;
  try {
    c = new (nodeCrypto().X509Certificate)(raw);
    extensions = certExtensions(raw);
    const bc = extensions.find((e) => e.oid === BASIC_CONSTRAINTS_OID);
    ca = bc !== undefined && basicConstraintsCa(bc.value);
  } catch (err) {
    return { ok: false, reason: `unparsable certificate: ${(err as Error).message}` };
  }
  if (ca) return { ok: false, reason: 'peer certificate is a CA certificate' };
  const sans = extensions.filter((e) => e.oid === SUBJECT_ALT_NAME_OID).length;
  if (sans === 0) return { ok: false, reason: 'no subjectAltName' };
  if (sans > 1) return { ok: false, reason: 'more than one subjectAltName extension' };
  let uris: string[];
  try {
    uris = uriNames(parseSubjectAltNames(c.subjectAltName));
  } catch (err) {
    return { ok: false, reason: `unparsable subjectAltName: ${(err as Error).message}` };
  }
  if (uris.length === 0) return { ok: false, reason: 'no URI SAN' };
  if (uris.length > 1) return { ok: false, reason: `${uris.length} URI SANs (exactly one allowed)` };
  const id = uris[0]!;
  if (!id.startsWith('spiffe://')) return { ok: false, reason: `URI SAN ${id} is not a SPIFFE ID` };
  if (!id.startsWith(`spiffe://${TRUST_DOMAIN}/`)) {
    return { ok: false, reason: `SPIFFE ID ${id} is not in trust domain ${TRUST_DOMAIN}` };
  }
  if (!isWorkloadSpiffeId(id)) return { ok: false, reason: `SPIFFE ID ${id} is not of the form spiffe://${TRUST_DOMAIN}/ns/<ns>/sa/<sa>` };
  if (expectedIds && !expectedIds.includes(id)) {
    return { ok: false, spiffeId: id, reason: `peer is ${id}, expected ${expectedIds.join(' or ') || 'no identity'}` };
  }
  return { ok: true, spiffeId: id };
}

/** Istio's principal form of a SPIFFE ID: without `spiffe://`. */
export function principalOf(spiffeId: string): string {
  return spiffeId.startsWith('spiffe://') ? spiffeId.slice('spiffe://'.length) : spiffeId;
}
