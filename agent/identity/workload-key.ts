/**
 * A fresh ECDSA P-256 key (Node's webcrypto) and a PKCS#10 request for it. The request carries no
 * names: the CA decides the identity from the container, not from anything the agent claims.
 */
import { EC_P256, ECDSA_SHA256, subtle, x509 } from './x509-runtime.ts';

export interface WorkloadKey {
  /** PKCS#8 PEM, for `tls.createSecureContext({key})`. */
  keyPem: string;
  /** PEM `CERTIFICATE REQUEST`. */
  csrPem: string;
}

export async function createWorkloadKey(): Promise<WorkloadKey> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'O=dockmesh',
    keys,
    signingAlgorithm: ECDSA_SHA256,
  });
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return {
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
    csrPem: csr.toString('pem') + '\n',
  };
}
