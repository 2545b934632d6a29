import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWorkloadSpiffeId, principalOf, verifyPeer } from '../../../agent/identity/verify-peer.ts';
import { makeLeaf, makeRoot, type TestRoot } from './cert-factory.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const API = 'spiffe://cluster.local/ns/default/sa/api';
let root: TestRoot;

test.before(async () => {
  root = await makeRoot();
});

interface Case {
  name: string;
  leaf: Parameters<typeof makeLeaf>[1] | null;
  expected?: string[];
  ok: boolean;
  reason?: RegExp;
  spiffeId?: string;
}

const cases: Case[] = [
  { name: 'one URI SAN in the expected list', leaf: { uris: [WEB] }, expected: [API, WEB], ok: true, spiffeId: WEB },
  { name: 'any workload ID when no list (server side)', leaf: { uris: [WEB] }, ok: true, spiffeId: WEB },
  { name: 'a DNS SAN beside the URI SAN is allowed (SPIFFE X509-SVID)', leaf: { uris: [WEB], dns: ['web'] }, ok: true },
  { name: 'not in the expected list', leaf: { uris: [WEB] }, expected: [API], ok: false, reason: /expected/, spiffeId: WEB },
  { name: 'empty expected list refuses everyone', leaf: { uris: [WEB] }, expected: [], ok: false },
  { name: 'two URI SANs', leaf: { uris: [WEB, API] }, ok: false, reason: /2 URI SANs/ },
  { name: 'two URI SANs in two SAN extensions', leaf: { uris: [WEB, API], splitSans: true }, ok: false, reason: /more than one subjectAltName/ },
  { name: 'no SAN', leaf: {}, ok: false, reason: /no subjectAltName/ },
  { name: 'DNS SAN only (a web server certificate)', leaf: { dns: ['api'] }, ok: false, reason: /no URI SAN/ },
  { name: 'URI SAN of another scheme', leaf: { uris: ['https://cluster.local/ns/default/sa/web'] }, ok: false, reason: /not a SPIFFE ID/ },
  { name: 'other trust domain', leaf: { uris: ['spiffe://evil.local/ns/default/sa/web'] }, ok: false, reason: /trust domain/ },
  { name: 'trust domain as a prefix', leaf: { uris: ['spiffe://cluster.local.evil/ns/default/sa/web'] }, ok: false, reason: /trust domain/ },
  { name: 'not a workload path', leaf: { uris: ['spiffe://cluster.local/web'] }, ok: false, reason: /form/ },
  { name: 'dot-dot segment', leaf: { uris: ['spiffe://cluster.local/ns/../sa/web'] }, ok: false, reason: /form/ },
  { name: 'case differs from the expected ID', leaf: { uris: ['spiffe://cluster.local/ns/default/sa/WEB'] }, expected: [WEB], ok: false },
  { name: 'a CA certificate', leaf: { uris: [WEB], ca: true }, ok: false, reason: /CA certificate/ },
  { name: 'no certificate', leaf: null, ok: false, reason: /no peer certificate/ },
  // CVE-2021-44532: Node quotes a SAN value holding a comma, so it stays one (malformed) ID.
  { name: 'a second ID smuggled into one URI SAN after a comma', leaf: { uris: [`${WEB}, URI:${API}`] }, expected: [API], ok: false, reason: /form/ },
  { name: 'a quoted URI SAN is read unquoted', leaf: { uris: [`spiffe://cluster.local/ns/default/sa/it's`] }, ok: false, reason: /sa\/it's is not of the form/ },
];

for (const c of cases) {
  test(`verifyPeer: ${c.name}`, async () => {
    const cert = c.leaf ? (await makeLeaf(root, c.leaf)).der : undefined;
    const r = verifyPeer(cert, c.expected);
    assert.is(r.ok, c.ok, r.reason);
    if (c.reason) assert.match(r.reason ?? '', c.reason);
    if (c.spiffeId) assert.is(r.spiffeId, c.spiffeId);
  });
}

test('verifyPeer accepts a tls.PeerCertificate-like object ({raw}) and an empty one', async () => {
  const der = (await makeLeaf(root, { uris: [WEB] })).der;
  assert.ok(verifyPeer({ raw: Buffer.from(der) }, [WEB]).ok);
  assert.not.ok(verifyPeer({} as { raw?: Uint8Array }, [WEB]).ok); // getPeerCertificate() without a cert returns {}
  assert.not.ok(verifyPeer(Buffer.from('junk'), [WEB]).ok);
});

const ids: Array<[string, boolean]> = [
  [WEB, true],
  ['spiffe://cluster.local/ns/a-b_c.d/sa/x', true],
  ['spiffe://cluster.local/ns/default/sa/', false],
  ['spiffe://cluster.local/ns//sa/web', false],
  ['spiffe://cluster.local/ns/default/sa/web/', false],
  ['spiffe://cluster.local/ns/default/sa/w%20b', false],
  ['spiffe://cluster.local/ns/default/sa/web?x=1', false],
  ['SPIFFE://cluster.local/ns/default/sa/web', false],
];
for (const [id, ok] of ids) test(`isWorkloadSpiffeId(${id}) = ${ok}`, () => assert.is(isWorkloadSpiffeId(id), ok));

test('principalOf strips the scheme', () => assert.is(principalOf(WEB), 'cluster.local/ns/default/sa/web'));

test.run();
