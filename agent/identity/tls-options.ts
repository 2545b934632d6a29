/**
 * TLS options for agent-to-agent mTLS (pure): TLS 1.3 only, ALPN h2 and http/1.1, a client
 * certificate required, chains verified against the trust bundle, and SPIFFE secure naming instead of
 * Node's host-name check.
 */
import type { ConnectionOptions, PeerCertificate, SecureContextOptions, TlsOptions } from 'node:tls';
import { verifyPeer } from './verify-peer.ts';

/** What the agent holds: its key, its chain (leaf first) and the roots it trusts. PEM. */
export interface IdentityMaterial {
  keyPem: string;
  chain: readonly string[];
  trustBundle: readonly string[];
}

export const MESH_ALPN = ['h2', 'http/1.1'];

/** Key, certificate chain and CA for `tls.createSecureContext` / `server.setSecureContext`. */
export function secureContextOptions(m: IdentityMaterial): SecureContextOptions {
  return {
    key: m.keyPem,
    cert: m.chain.join(''),
    ca: [...m.trustBundle],
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
}

/** Options for the inbound `tls.Server` (or `tls.TLSSocket` with `isServer`). */
export function serverTlsOptions(m: IdentityMaterial): TlsOptions {
  return {
    ...secureContextOptions(m),
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: [...MESH_ALPN],
  };
}

/**
 * Options for an outbound connection to a peer agent that must present one of `expectedIds`
 * (full `spiffe://` IDs: the destination service's identities).
 */
export function clientTlsOptions(m: IdentityMaterial, expectedIds: readonly string[]): ConnectionOptions {
  return {
    ...secureContextOptions(m),
    rejectUnauthorized: true,
    ALPNProtocols: [...MESH_ALPN],
    // No SNI host name is needed for identity; the check below replaces the DNS/CN comparison.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const r = verifyPeer(cert, expectedIds);
      return r.ok ? undefined : Object.assign(new Error(`secure naming: ${r.reason}`), { code: 'ERR_MESH_SECURE_NAMING' });
    },
  };
}
