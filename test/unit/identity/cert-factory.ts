/**
 * Test certificates with whatever properties a test needs (other CA, expired, two URI SANs, a CA
 * certificate as a leaf): real ECDSA P-256 certificates made with @peculiar/x509.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIG = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface TestRoot {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
  der: Uint8Array;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(k: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', k), 'PRIVATE KEY') + '\n';
}

export async function makeRoot(name = 'CN=test root'): Promise<TestRoot> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 3600_000 * 24),
    keys,
    signingAlgorithm: SIG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

export interface LeafOptions {
  uris?: string[];
  dns?: string[];
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
  /** Put each URI in its own SAN extension. */
  splitSans?: boolean;
  /** Default `O=test`. */
  subject?: string;
}

export async function makeLeaf(root: TestRoot, o: LeafOptions = {}): Promise<TestLeaf> {
  const keys = await keyPair();
  const names = [
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const sanExts = o.splitSans
    ? names.map((n) => new x509.SubjectAlternativeNameExtension([n]))
    : names.length
      ? [new x509.SubjectAlternativeNameExtension(names)]
      : [];
  const cert = await x509.X509CertificateGenerator.create({
    subject: o.subject ?? 'O=test',
    issuer: root.cert.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: o.notAfter ?? new Date(Date.now() + 3600_000),
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: SIG,
    extensions: [
      new x509.BasicConstraintsExtension(o.ca ?? false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ...sanExts,
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey), der: new Uint8Array(cert.rawData) };
}

/** A CSR (PEM) for a fresh key, optionally claiming names the CA must ignore. */
export async function makeCsr(o: { uris?: string[]; keys?: CryptoKeyPair } = {}): Promise<{ csrPem: string; keys: CryptoKeyPair }> {
  const keys = o.keys ?? (await keyPair());
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=evil',
    keys,
    signingAlgorithm: SIG,
    extensions: o.uris?.length ? [new x509.SubjectAlternativeNameExtension(o.uris.map((value) => ({ type: 'url' as const, value })))] : [],
  });
  return { csrPem: csr.toString('pem') + '\n', keys };
}

export { x509 };

/** A TestRoot from PEM files (e.g. the local CA's root, to mint deliberately bad leaves with it). */
export async function rootFromPem(certPem: string, keyPem: string): Promise<TestRoot> {
  const cert = new x509.X509Certificate(certPem);
  const privateKey = await subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), ALG, true, ['sign']);
  const publicKey = await cert.publicKey.export(ALG, ['verify']);
  return { cert, certPem, keyPem, keys: { privateKey, publicKey } };
}
