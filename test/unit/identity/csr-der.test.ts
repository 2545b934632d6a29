import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { csrDer, OID } from '../../../agent/identity/csr-der.ts';
import { derChildren, readDer } from '../../../agent/identity/der-reader.ts';
import { x509 } from './cert-factory.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const SIG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

function parseCsr(der: Uint8Array): x509.Pkcs10CertificateRequest {
  return new x509.Pkcs10CertificateRequest(new Uint8Array(der));
}

/** The subjectAltName a request asks for (by OID: @peculiar/x509's lookup by class misses it). */
function sanOf(csr: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | null {
  return csr.getExtension(OID.subjectAltName) as x509.SubjectAlternativeNameExtension | null;
}

function ecKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/** The same key as a webcrypto pair, for @peculiar/x509. */
async function cryptoKeys(k: KeyObject): Promise<CryptoKeyPair> {
  const pkcs8 = k.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(k).export({ type: 'spki', format: 'der' });
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, EC, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, EC, true, ['verify']),
  };
}

/** certificationRequestInfo: the request without its signature (ECDSA signatures differ every time). */
function infoOf(csr: ArrayBuffer | Uint8Array): string {
  const b = Buffer.from(csr instanceof Uint8Array ? csr : new Uint8Array(csr));
  const outer = readDer(b);
  return b.subarray(outer.start, derChildren(b, outer)[0]!.end).toString('hex');
}

test('@peculiar/x509 parses it: subject, public key, no attributes, and the signature verifies', async () => {
  const key = ecKey();
  const csr = parseCsr(csrDer(key, { subject: [[OID.organizationName, 'dockmesh']] }));
  assert.is(csr.subject, 'O=dockmesh');
  assert.is(csr.signatureAlgorithm.name, 'ECDSA');
  assert.equal(Buffer.from(csr.publicKey.rawData), createPublicKey(key).export({ type: 'spki', format: 'der' }));
  assert.is(csr.attributes.length, 0);
  assert.is(csr.extensions.length, 0);
  assert.ok(await csr.verify());
});

test('with URIs: one extensionRequest holding a subjectAltName of exactly those URIs', async () => {
  const csr = parseCsr(csrDer(ecKey(), { subject: [[OID.commonName, 'web']], uris: [WEB, 'spiffe://x/y'] }));
  assert.is(csr.subject, 'CN=web');
  const san = sanOf(csr);
  assert.ok(san);
  assert.equal(san!.names.items.map((n) => [n.type, n.value]), [['url', WEB], ['url', 'spiffe://x/y']]);
  assert.is(san!.critical, false);
  assert.ok(await csr.verify());
});

test('byte for byte what @peculiar/x509 (the agent\'s former CSR maker) writes for the same key and fields', async () => {
  const key = ecKey();
  const keys = await cryptoKeys(key);
  const theirs = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=dockmesh', keys, signingAlgorithm: SIG });
  assert.is(infoOf(csrDer(key, { subject: [[OID.organizationName, 'dockmesh']] })), infoOf(theirs.rawData));
  const withUri = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'O=dockmesh',
    keys,
    signingAlgorithm: SIG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: WEB }])],
  });
  assert.is(infoOf(csrDer(key, { subject: [[OID.organizationName, 'dockmesh']], uris: [WEB] })), infoOf(withUri.rawData));
});

test('a signature made over other bytes does not verify (the signature covers the request info)', async () => {
  const csr = csrDer(ecKey(), { subject: [[OID.organizationName, 'dockmesh']] });
  const tampered = Buffer.from(csr);
  tampered[tampered.indexOf(Buffer.from('dockmesh'))] ^= 0x20; // 'dockmesh' → 'Dockmesh'
  assert.not.ok(await parseCsr(tampered).verify());
});

test('long subjects and many URIs use long-form lengths that still parse', async () => {
  const uris = Array.from({ length: 20 }, (_, i) => `spiffe://cluster.local/ns/default/sa/service-${i}`);
  const csr = parseCsr(csrDer(ecKey(), { subject: [[OID.organizationName, 'x'.repeat(300)]], uris }));
  assert.is(csr.subject, `O=${'x'.repeat(300)}`);
  assert.equal(sanOf(csr)!.names.items.map((n) => n.value), uris);
  assert.ok(await csr.verify());
});

test('only EC keys', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  assert.throws(() => csrDer(privateKey, { subject: [] }), /EC keys only/);
});

test.run();
