/**
 * The agent's hand-made PKCS#10 request read by OpenSSL's own tool (`openssl req -verify -text`): a
 * second, independent parser besides @peculiar/x509 (test/unit/identity/csr-der.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csrDer, OID } from '../../../agent/identity/csr-der.ts';
import { createWorkloadKey } from '../../../agent/identity/workload-key.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockmesh-csr-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** `openssl req -in <pem> -noout -verify -text`: exit status and stdout + stderr. */
function opensslReq(pem: string): { status: number | null; out: string } {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, pem);
  const r = spawnSync('openssl', ['req', '-in', file, '-noout', '-verify', '-text'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

test('the agent\'s request: signature verifies, subject O=dockmesh, a P-256 key, no requested names', async () => {
  const { out, status } = opensslReq((await createWorkloadKey()).csrPem);
  assert.is(status, 0, out);
  assert.match(out, /verify OK/);
  assert.match(out, /Subject: O = dockmesh/);
  assert.match(out, /NIST CURVE: P-256/);
  assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.not.match(out, /Subject Alternative Name/);
});

test('with a URI: OpenSSL shows the requested subjectAltName', () => {
  const der = csrDer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, {
    subject: [[OID.organizationName, 'dockmesh']],
    uris: [WEB],
  });
  const { out, status } = opensslReq(pem(der));
  assert.is(status, 0, out);
  assert.match(out, /verify OK/);
  assert.match(out, /Requested Extensions:\s+X509v3 Subject Alternative Name:\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/web\n/);
});

test('a flipped signature byte fails OpenSSL\'s check', () => {
  const der = csrDer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { subject: [[OID.organizationName, 'dockmesh']] });
  der[der.length - 1] ^= 0x01;
  // OpenSSL 3.0 still exits 0 here; its message is the verdict.
  const { out } = opensslReq(pem(der));
  assert.match(out, /verify fail/);
  assert.not.match(out, /verify OK/);
});

test.run();
