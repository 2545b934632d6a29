import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createWorkloadKey } from '../../../agent/identity/workload-key.ts';
import { x509 } from './cert-factory.ts';

test('an ECDSA P-256 key (PKCS#8 PEM) and a verified CSR for it with subject O=dockmesh and no names', async () => {
  const { keyPem, csrPem } = await createWorkloadKey();
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE KEY-----\n$/);
  const key = createPrivateKey(keyPem);
  assert.is(key.asymmetricKeyType, 'ec');
  assert.is(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE REQUEST-----\n$/);
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  assert.is(csr.subject, 'O=dockmesh');
  assert.is(csr.attributes.length, 0);
  assert.equal(Buffer.from(csr.publicKey.rawData), createPublicKey(key).export({ type: 'spki', format: 'der' }));
  assert.ok(await csr.verify());
});

test('a new key every time', async () => {
  const [a, b] = await Promise.all([createWorkloadKey(), createWorkloadKey()]);
  assert.is.not(a.keyPem, b.keyPem);
});

test.run();
