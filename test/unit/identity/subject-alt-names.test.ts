import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { parseSubjectAltNames, uriNames, type AltName } from '../../../agent/identity/subject-alt-names.ts';
import { makeLeaf, makeRoot, type TestRoot } from './cert-factory.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const API = 'spiffe://cluster.local/ns/default/sa/api';

const parsed: Array<[string, string | undefined, AltName[]]> = [
  ['no SAN extension', undefined, []],
  ['an empty SAN extension', '', []],
  ['one URI', `URI:${WEB}`, [{ kind: 'URI', value: WEB }]],
  ['a URI and a DNS name', `URI:${WEB}, DNS:web`, [{ kind: 'URI', value: WEB }, { kind: 'DNS', value: 'web' }]],
  ['two URIs', `URI:${WEB}, URI:${API}`, [{ kind: 'URI', value: WEB }, { kind: 'URI', value: API }]],
  ['no URI', 'DNS:api, IP Address:10.0.0.1', [{ kind: 'DNS', value: 'api' }, { kind: 'IP Address', value: '10.0.0.1' }]],
  ['a non-SPIFFE URI', 'URI:https://example.com/x', [{ kind: 'URI', value: 'https://example.com/x' }]],
  ['an empty URI', 'URI:', [{ kind: 'URI', value: '' }]],
  ['IPv6 with colons', 'IP Address:0:0:0:0:0:0:0:1', [{ kind: 'IP Address', value: '0:0:0:0:0:0:0:1' }]],
  ['other kinds Node prints', 'email:a@b.c, Registered ID:1.2.3.4, othername:UPN:user@x', [
    { kind: 'email', value: 'a@b.c' },
    { kind: 'Registered ID', value: '1.2.3.4' },
    { kind: 'othername', value: 'UPN:user@x' },
  ]],
  // CVE-2021-44532: a comma inside a value is quoted, so it cannot add an entry.
  ['a quoted comma that looks like a second URI', `URI:"${WEB}\\u002c URI:${API}"`, [{ kind: 'URI', value: `${WEB}, URI:${API}` }]],
  ['quoted quote and backslash', 'URI:"a\\"b\\\\c", DNS:x', [{ kind: 'URI', value: 'a"b\\c' }, { kind: 'DNS', value: 'x' }]],
  ['quoted non-ASCII', 'URI:"spiffe://\\u00fcn\\u00ef"', [{ kind: 'URI', value: 'spiffe://ünï' }]],
  ['a quoted DirName with a comma', 'DirName:"O=y\\u002cCN=x", URI:spiffe://a', [{ kind: 'DirName', value: 'O=y,CN=x' }, { kind: 'URI', value: 'spiffe://a' }]],
  ['quoted ", " inside a value', 'URI:"a, b", URI:c', [{ kind: 'URI', value: 'a, b' }, { kind: 'URI', value: 'c' }]],
  ['a single quote (quoted by Node, not escaped)', `URI:"it's"`, [{ kind: 'URI', value: "it's" }]],
];
for (const [name, s, want] of parsed) test(`parseSubjectAltNames: ${name}`, () => assert.equal(parseSubjectAltNames(s), want));

const malformed: Array<[string, string]> = [
  ['no kind', '//a'],
  ['a quote where the kind belongs', '"URI:x"'],
  ['empty kind', ':x'],
  ['a separator at the end', 'URI:a, '],
  ['an unterminated quote', 'URI:"abc'],
  ['an invalid escape', 'URI:"a\\x41"'],
  ['a raw control character inside quotes', 'URI:"a\u0001"'],
  ['an unquoted comma', `URI:${WEB},URI:${API}`],
  ['two separators', 'URI:a, , URI:b'],
];
for (const [name, s] of malformed) test(`parseSubjectAltNames refuses ${name}`, () => assert.throws(() => parseSubjectAltNames(s), /subjectAltName/));

test('uriNames keeps URI entries in order', () => {
  assert.equal(uriNames(parseSubjectAltNames(`DNS:a, URI:${API}, email:x@y, URI:${WEB}`)), [API, WEB]);
  assert.equal(uriNames([]), []);
});

// What Node really prints, read back: the URIs a certificate carries, no more, no less.
let root: TestRoot;
test.before(async () => {
  root = await makeRoot();
});
const uriSets: string[][] = [
  [WEB],
  [WEB, API],
  [`${WEB}, URI:${API}`],
  ['spiffe://x,y', 'a"b', "it's", 'back\\slash'],
  ['spiffe://cluster.local/ns/default/sa/w eb'],
  [],
];
for (const uris of uriSets) {
  test(`X509Certificate.subjectAltName round trip: ${JSON.stringify(uris)}`, async () => {
    const leaf = await makeLeaf(root, { uris, dns: ['web', 'a, DNS:b'] });
    const names = parseSubjectAltNames(new X509Certificate(leaf.der).subjectAltName);
    assert.equal(uriNames(names), uris);
    assert.equal(names.filter((n) => n.kind === 'DNS').map((n) => n.value), ['web', 'a, DNS:b']);
  });
}

test.run();
