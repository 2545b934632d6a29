import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { LocalCa, rootId } from '../../../control/ca/local-ca.ts';
import { makeCsr, x509 } from '../identity/cert-factory.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'dockmesh-ca-'));
  dirs.push(d);
  return join(d, 'ca');
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const WEB = 'spiffe://cluster.local/ns/default/sa/web';

test('creates one P-256 root, CA:TRUE, keyCertSign, ~10 years, key 0600; reopening reuses it', async () => {
  const dir = tmp();
  const ca = await LocalCa.open(dir);
  const [rootPem, ...rest] = ca.trustBundle();
  assert.is(rest.length, 0);
  const root = new x509.X509Certificate(rootPem!);
  assert.ok(root.getExtension(x509.BasicConstraintsExtension)?.ca);
  assert.ok((root.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign) !== 0);
  assert.is((root.publicKey.algorithm as EcKeyAlgorithm).namedCurve, 'P-256');
  const years = (root.notAfter.getTime() - Date.now()) / (365 * 24 * 3600_000);
  assert.ok(years > 9.9 && years < 10.1, `years ${years}`);
  const keyFiles = readdirSync(join(dir, 'roots')).filter((f) => f.endsWith('.key'));
  assert.is(keyFiles.length, 1);
  assert.is(statSync(join(dir, 'roots', keyFiles[0]!)).mode & 0o777, 0o600);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  const again = await LocalCa.open(dir);
  assert.equal(again.trustBundle(), ca.trustBundle());
});

test('two processes racing to create the CA end up with the same root', async () => {
  const dir = tmp();
  const [a, b] = await Promise.all([LocalCa.open(dir), LocalCa.open(dir)]);
  const c = await LocalCa.open(dir);
  assert.equal(c.trustBundle(), a.trustBundle());
  assert.equal(c.trustBundle(), b.trustBundle());
  assert.is(readdirSync(join(dir, 'roots')).length, 2);
});

test('signCsr: exactly one URI SAN (the CA\'s choice, not the CSR\'s), CA:FALSE, usages, 24 h, random serial', async () => {
  const ca = await LocalCa.open(tmp());
  const { csrPem } = await makeCsr({ uris: ['spiffe://cluster.local/ns/kube-system/sa/admin', 'spiffe://evil/x'] });
  const a = await ca.signCsr(csrPem, { spiffeId: WEB });
  const b = await ca.signCsr(csrPem, { spiffeId: WEB });
  const leaf = new x509.X509Certificate(a.certificate);
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
  assert.equal(san.names.items.map((n) => [n.type, n.value]), [['url', WEB]]);
  assert.is(leaf.getExtension(x509.BasicConstraintsExtension)!.ca, false);
  const F = x509.KeyUsageFlags;
  assert.is(leaf.getExtension(x509.KeyUsagesExtension)!.usages, F.digitalSignature | F.keyAgreement);
  const hours = (leaf.notAfter.getTime() - Date.now()) / 3600_000;
  assert.ok(hours > 23.9 && hours <= 24, `hours ${hours}`);
  assert.is.not(a.serial, b.serial);
  assert.ok(/^[0-9a-f]{32}$/.test(a.serial), a.serial);
  // Node's own X509 parser agrees, and the leaf verifies against the root.
  const nodeLeaf = new NodeX509(a.certificate);
  assert.ok(nodeLeaf.verify(new NodeX509(a.trustBundle[0]!).publicKey));
  assert.is(nodeLeaf.subjectAltName, `URI:${WEB}`);
  assert.is(nodeLeaf.ca, false);
  // Node calls the extended key usage `keyUsage`: serverAuth and clientAuth.
  assert.equal([...(nodeLeaf.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(a.chain, [a.certificate]);
  assert.is(a.issuer, rootId(a.trustBundle[0]!));
});

test('signCsr honours ttlMs', async () => {
  const ca = await LocalCa.open(tmp());
  const { csrPem } = await makeCsr();
  const l = await ca.signCsr(csrPem, { spiffeId: WEB, ttlMs: 3000 });
  const life = l.notAfter.getTime() - Date.now();
  assert.ok(life > 2000 && life <= 3000, `life ${life}`);
});

const badCsrs: Array<[string, () => Promise<string>]> = [
  ['garbage', async () => 'not a csr'],
  ['a certificate instead of a CSR', async () => (await LocalCa.open(tmp())).trustBundle()[0]!],
  [
    'tampered signature',
    async () => {
      const { csrPem } = await makeCsr();
      const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
      der[der.length - 5]! ^= 0x55;
      return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    },
  ],
  [
    'public key swapped (signature from another key)',
    async () => {
      const a = new x509.Pkcs10CertificateRequest((await makeCsr()).csrPem);
      const b = await makeCsr();
      const other = new x509.Pkcs10CertificateRequest(b.csrPem);
      // a's body with b's signature
      const { AsnConvert } = await import('@peculiar/asn1-schema');
      const { CertificationRequest } = await import('@peculiar/asn1-csr');
      const ra = AsnConvert.parse(a.rawData, CertificationRequest);
      const rb = AsnConvert.parse(other.rawData, CertificationRequest);
      ra.signature = rb.signature;
      return x509.PemConverter.encode(AsnConvert.serialize(ra), 'CERTIFICATE REQUEST');
    },
  ],
];
for (const [name, make] of badCsrs) {
  test(`signCsr refuses a CSR: ${name}`, async () => {
    const ca = await LocalCa.open(tmp());
    const csr = await make();
    try {
      await ca.signCsr(csr, { spiffeId: WEB });
      assert.unreachable('signed');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'MESH_ERR_CSR_INVALID', (err as Error).message);
    }
  });
}

for (const id of ['spiffe://other.domain/ns/default/sa/web', 'spiffe://cluster.local/ns/default/sa/', 'spiffe://cluster.local/ns/../sa/web', 'https://cluster.local/ns/default/sa/web', 'spiffe://cluster.local/ns/default/sa/web/x']) {
  test(`signCsr refuses SPIFFE ID ${id}`, async () => {
    const ca = await LocalCa.open(tmp());
    try {
      await ca.signCsr((await makeCsr()).csrPem, { spiffeId: id });
      assert.unreachable('signed');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'MESH_ERR_SPIFFE_ID');
    }
  });
}

test('rotation: both roots trusted, old root signs until signFrom then the new one, finish drops the old root', async () => {
  let now = Date.now();
  const dir = tmp();
  const ca = await LocalCa.open(dir, { now: () => now });
  const oldId = ca.signingRootId();
  const st = await ca.rotate({ propagationMs: 10_000 });
  assert.is(st.roots.length, 2);
  assert.ok(st.rotating);
  assert.is(ca.trustBundle().length, 2);
  const { csrPem } = await makeCsr();
  assert.is((await ca.signCsr(csrPem, { spiffeId: WEB })).issuer, oldId, 'still the old root during propagation');
  now += 10_001;
  const leaf = await ca.signCsr(csrPem, { spiffeId: WEB });
  const newId = ca.signingRootId();
  assert.is.not(newId, oldId);
  assert.is(leaf.issuer, newId);
  assert.is(leaf.trustBundle.length, 2);
  // A second process (the control server) sees the rotation from the directory.
  const other = await LocalCa.open(dir, { now: () => now });
  assert.equal(other.trustBundle(), ca.trustBundle());
  try {
    await ca.rotate();
    assert.unreachable('second rotation allowed');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'MESH_ERR_CA_ROTATION');
  }
  await ca.finishRotation();
  assert.is(ca.trustBundle().length, 1);
  assert.is(rootId(ca.trustBundle()[0]!), newId);
  assert.not.ok(readdirSync(join(dir, 'roots')).some((f) => f.startsWith(oldId)));
  assert.ok(await other.refresh(), 'other process notices the change');
  assert.is(other.trustBundle().length, 1);
  assert.is(other.signingRootId(), newId);
});

test('a corrupt state file is reported with MESH_ERR_CA_STATE', async () => {
  const dir = tmp();
  await LocalCa.open(dir);
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, roots: [{ id: 'nope' }], signer: 'nope' }));
  try {
    await LocalCa.open(dir);
    assert.unreachable('opened');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'MESH_ERR_CA_STATE');
  }
});

test.run();
