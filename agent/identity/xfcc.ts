/**
 * The `x-forwarded-client-cert` value the inbound agent sets from the verified peer (pure), in Envoy's
 * format with Istio's sidecar fields: `By=<our SPIFFE ID>;Hash=<hex SHA-256 of the peer's DER>;
 * Subject="<peer subject>";URI=<peer SPIFFE ID>`. Any XFCC the client sent is replaced, never
 * appended to (Envoy's SANITIZE_SET): only the agent that verified the certificate may speak for it.
 */
import { nodeCrypto } from '../lazy-builtins.ts';

export const XFCC_HEADER = 'x-forwarded-client-cert';

/** Quotes a value as Envoy does: in double quotes, with `"` and `\` escaped. */
function quoted(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * RFC 4514's one-line form of node:crypto's `subject` (RDNs one per line, multi-valued RDNs joined by
 * ` + `; special characters already backslash-escaped, so an unescaped ` + ` only joins attributes).
 */
function subjectLine(subject: string): string {
  return subject.split('\n').map((rdn) => rdn.replaceAll(' + ', '+')).join(', ');
}

export function xfccValue(localSpiffeId: string, peerDer: Uint8Array, peerSpiffeId: string): string {
  const { createHash, X509Certificate } = nodeCrypto();
  const hash = createHash('sha256').update(peerDer).digest('hex');
  const subject = subjectLine(new X509Certificate(peerDer).subject);
  return `By=${localSpiffeId};Hash=${hash};Subject=${quoted(subject)};URI=${peerSpiffeId}`;
}
