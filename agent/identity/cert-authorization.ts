/** The agent's certificate-based authorization header for the control API (see AGENT_CERT_AUTH). */
import { nodeCrypto } from '../lazy-builtins.ts';
import { AGENT_CERT_AUTH } from '../../wire/types.ts';
import type { IdentityMaterial } from './tls-options.ts';

/** `DockmeshCert <leaf>.<ms>.<signature>` for `container`, signed now with the held key. */
export function certAuthorization(container: string, m: IdentityMaterial, nowMs = Date.now()): string {
  const leaf = new (nodeCrypto().X509Certificate)(m.chain[0]!).raw.toString('base64url');
  const signature = nodeCrypto().sign('sha256', Buffer.from(`${AGENT_CERT_AUTH.context}|${container}|${nowMs}`), m.keyPem).toString('base64url');
  return `${AGENT_CERT_AUTH.scheme} ${leaf}.${nowMs}.${signature}`;
}
