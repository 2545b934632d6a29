import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { der } from '../../../agent/identity/der.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const oids: Array<[string, string]> = [
  ['2.5.4.10', '060355040a'],
  ['2.5.29.17', '0603551d11'],
  ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
  ['1.2.840.113549.1.9.14', '06092a864886f70d01090e'],
  // First two arcs above 2.39 and a multi-byte first subidentifier (X.690 8.19.4).
  ['2.999.3', '0603883703'],
  ['0.0', '060100'],
];
for (const [dotted, want] of oids) test(`oid ${dotted}`, () => assert.is(hex(der.oid(dotted)), want));

for (const bad of ['1', '3.1', '1.40', '1.2.x', '1.-2', '']) {
  test(`oid ${JSON.stringify(bad)} is refused`, () => assert.throws(() => der.oid(bad), /invalid OID/));
}

const ints: Array<[number, string]> = [
  [0, '020100'],
  [1, '020101'],
  [127, '02017f'],
  [128, '02020080'],
  [256, '02020100'],
  [65535, '020300ffff'],
];
for (const [n, want] of ints) test(`uint ${n}`, () => assert.is(hex(der.uint(n)), want));
test('uint refuses negatives and fractions', () => {
  assert.throws(() => der.uint(-1));
  assert.throws(() => der.uint(1.5));
});

test('lengths: short form up to 127, then 0x81 and 0x82', () => {
  assert.is(hex(der.octetString(Buffer.alloc(127)).subarray(0, 2)), '047f');
  assert.is(hex(der.octetString(Buffer.alloc(128)).subarray(0, 3)), '048180');
  assert.is(hex(der.octetString(Buffer.alloc(255)).subarray(0, 3)), '0481ff');
  assert.is(hex(der.octetString(Buffer.alloc(256)).subarray(0, 4)), '04820100');
  assert.is(der.octetString(Buffer.alloc(70_000)).length, 70_000 + 5);
});

test('directoryString: PrintableString when its alphabet allows, else UTF8String', () => {
  assert.is(hex(der.directoryString('dockmesh')), '1308646f636b6d657368');
  assert.is(hex(der.directoryString("A-z 0.9'()+,/:=?")).slice(0, 2), '13');
  assert.is(hex(der.directoryString('a_b')), '0c03615f62');
  assert.is(hex(der.directoryString('é')), '0c02c3a9');
  assert.is(hex(der.directoryString('a@b')).slice(0, 2), '0c');
});

test('sequence, context tags, bit string, octet string', () => {
  assert.is(hex(der.sequence()), '3000');
  assert.is(hex(der.sequence(der.uint(0), der.uint(1))), '3006020100020101');
  assert.is(hex(der.context(0)), 'a000');
  assert.is(hex(der.context(3, der.uint(2))), 'a303020102');
  assert.is(hex(der.contextPrimitive(6, Buffer.from('ab'))), '86026162');
  assert.is(hex(der.bitString(Buffer.from([0xab, 0xcd]))), '030300abcd');
  assert.is(hex(der.octetString(Buffer.from([1]))), '040101');
});

test('setOf sorts its elements by encoding (X.690 11.6)', () => {
  assert.is(hex(der.setOf(der.uint(2), der.uint(1), der.oid('2.5.4.10'))), '310b020101020102060355040a');
});

test('ia5Bytes: ASCII only', () => {
  assert.is(hex(der.ia5Bytes('spiffe://a')), Buffer.from('spiffe://a').toString('hex'));
  assert.throws(() => der.ia5Bytes('spiffe://ü'), /ASCII/);
});

test.run();
