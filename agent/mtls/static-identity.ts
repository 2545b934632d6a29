/**
 * A fixed workload identity read from a directory (`--identity-dir`, benchmarks and tests without a
 * control server): `key.pem` (PKCS#8), `cert.pem` (leaf first, then intermediates), `ca.pem` (the
 * roots to trust). The SPIFFE ID is read from the leaf. It is never renewed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../agent-error.ts';
import { nodeCrypto } from '../lazy-builtins.ts';
import type { IdentityMaterial } from '../identity/tls-options.ts';
import { verifyPeer } from '../identity/verify-peer.ts';

export interface StaticIdentity {
  material: IdentityMaterial;
  spiffeId: string;
  notAfter: Date;
}

/** All PEM blocks of one type in `text`. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/g) ?? [];
}

export function loadStaticIdentity(dir: string): StaticIdentity {
  let keyPem: string;
  let chain: string[];
  let trustBundle: string[];
  try {
    keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    chain = pemBlocks(readFileSync(join(dir, 'cert.pem'), 'utf8'));
    trustBundle = pemBlocks(readFileSync(join(dir, 'ca.pem'), 'utf8'));
  } catch (err) {
    throw new AgentError('AGENT_ERR_IDENTITY', `cannot read ${dir}/{key,cert,ca}.pem`, { cause: err });
  }
  if (chain.length === 0 || trustBundle.length === 0) throw new AgentError('AGENT_ERR_IDENTITY', `${dir}: cert.pem and ca.pem need a certificate each`);
  const leaf = new (nodeCrypto().X509Certificate)(chain[0]!);
  const check = verifyPeer(leaf.raw);
  if (!check.ok) throw new AgentError('AGENT_ERR_IDENTITY', `${dir}/cert.pem: ${check.reason}`);
  return { material: { keyPem, chain, trustBundle }, spiffeId: check.spiffeId!, notAfter: new Date(leaf.validTo) };
}
