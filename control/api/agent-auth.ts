/**
 * Pure: checks an agent's `DockmeshCert` authorization (AGENT_CERT_AUTH): the leaf chains to a
 * trusted root, is in its validity period, names exactly the container's workload identity, and
 * signed this container's request within the allowed clock skew.
 */
import { X509Certificate, verify } from 'node:crypto';
import { AGENT_CERT_AUTH } from '../../wire/types.ts';

export interface CertAuthExpectation {
  /** `spiffe://cluster.local/ns/<ns>/sa/<service>` of the container's workload. */
  spiffeId: string;
  roots: readonly X509Certificate[];
  nowMs: number;
  /** The container a serial was issued to, when known: a leaf of another container is refused. */
  serialOwner?: (serial: string) => string | undefined;
}

export function verifyCertAuthorization(header: string, container: string, e: CertAuthExpectation): { ok: boolean; reason?: string } {
  const prefix = `${AGENT_CERT_AUTH.scheme} `;
  if (!header.startsWith(prefix)) return { ok: false, reason: 'not a certificate authorization' };
  const [leafB64, msText, sigB64, extra] = header.slice(prefix.length).split('.');
  if (!leafB64 || !msText || !sigB64 || extra !== undefined) return { ok: false, reason: 'malformed' };
  const ms = Number(msText);
  if (!Number.isSafeInteger(ms) || Math.abs(e.nowMs - ms) > AGENT_CERT_AUTH.maxSkewMs) return { ok: false, reason: 'stale or future timestamp' };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(leafB64, 'base64url'));
  } catch {
    return { ok: false, reason: 'not a certificate' };
  }
  if (!e.roots.some((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey))) return { ok: false, reason: 'not issued by the mesh CA' };
  if (Date.parse(leaf.validFrom) > e.nowMs || Date.parse(leaf.validTo) < e.nowMs) return { ok: false, reason: 'certificate not valid now' };
  const uris = (leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:'));
  if (uris.length !== 1 || uris[0] !== `URI:${e.spiffeId}`) return { ok: false, reason: 'certificate names another workload' };
  const owner = e.serialOwner?.(leaf.serialNumber);
  if (owner !== undefined && owner !== container) return { ok: false, reason: 'certificate issued to another container' };
  const signed = Buffer.from(`${AGENT_CERT_AUTH.context}|${container}|${ms}`);
  let valid = false;
  try {
    valid = verify('sha256', signed, leaf.publicKey, Buffer.from(sigB64, 'base64url'));
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'bad signature' };
}
