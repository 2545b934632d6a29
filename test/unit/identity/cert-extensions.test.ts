import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { basicConstraintsCa, BASIC_CONSTRAINTS_OID, certExtensions, SUBJECT_ALT_NAME_OID } from '../../../agent/identity/cert-extensions.ts';
import { der } from '../../../agent/identity/der.ts';
import { makeLeaf, makeRoot, type TestRoot } from './cert-factory.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const API = 'spiffe://cluster.local/ns/default/sa/api';
let root: TestRoot;

test.before(async () => {
  root = await makeRoot();
});

test('a leaf: every extension in order, with its critical flag', async () => {
  const leaf = await makeLeaf(root, { uris: [WEB] });
  const exts = certExtensions(leaf.der);
  assert.equal(
    exts.map((e) => [e.oid, e.critical]),
    [
      [BASIC_CONSTRAINTS_OID, true],
      ['2.5.29.15', true],
      ['2.5.29.37', false],
      [SUBJECT_ALT_NAME_OID, false],
      ['2.5.29.35', false],
    ],
  );
  assert.is(basicConstraintsCa(exts[0]!.value), false);
});

test('two SAN extensions are both listed (Node prints only the first)', async () => {
  const leaf = await makeLeaf(root, { uris: [WEB, API], splitSans: true });
  assert.is(certExtensions(leaf.der).filter((e) => e.oid === SUBJECT_ALT_NAME_OID).length, 2);
  assert.is(new X509Certificate(leaf.der).subjectAltName, `URI:${WEB}`);
});

test('basicConstraints cA, as written: the root and a CA:TRUE leaf (which Node\'s `ca` calls false)', async () => {
  const rootDer = new X509Certificate(root.certPem).raw;
  const bc = certExtensions(rootDer).find((e) => e.oid === BASIC_CONSTRAINTS_OID)!;
  assert.ok(basicConstraintsCa(bc.value));
  const caLeaf = await makeLeaf(root, { uris: [WEB], ca: true });
  assert.ok(basicConstraintsCa(certExtensions(caLeaf.der).find((e) => e.oid === BASIC_CONSTRAINTS_OID)!.value));
  assert.is(new X509Certificate(caLeaf.der).ca, false);
});

test('basicConstraintsCa: DEFAULT FALSE when absent, any non-zero BOOLEAN is true, not a SEQUENCE throws', () => {
  assert.is(basicConstraintsCa(der.sequence()), false);
  assert.is(basicConstraintsCa(der.sequence(der.uint(3))), false);
  assert.is(basicConstraintsCa(der.sequence(der.tlv(0x01, Buffer.from([0xff])))), true);
  assert.is(basicConstraintsCa(der.sequence(der.tlv(0x01, Buffer.from([0x00])))), false);
  assert.throws(() => basicConstraintsCa(der.uint(1)), /BasicConstraints/);
});

test('a certificate without extensions has none', () => {
  const tbs = der.sequence(der.uint(1), der.sequence(der.oid('1.2.840.10045.4.3.2')));
  assert.equal(certExtensions(der.sequence(tbs, der.sequence(), der.bitString(Buffer.alloc(1)))), []);
});

test('malformed DER throws', async () => {
  const leaf = await makeLeaf(root, { uris: [WEB] });
  assert.throws(() => certExtensions(leaf.der.subarray(0, leaf.der.length - 10)));
  assert.throws(() => certExtensions(Buffer.from('junk')));
  assert.throws(() => certExtensions(der.sequence(der.uint(1))), /tbsCertificate/);
  // An extension whose value is not an OCTET STRING.
  const ext = der.sequence(der.oid(SUBJECT_ALT_NAME_OID), der.uint(1));
  const tbs = der.sequence(der.uint(1), der.context(3, der.sequence(ext)));
  assert.throws(() => certExtensions(der.sequence(tbs)), /extnValue/);
});

test.run();
