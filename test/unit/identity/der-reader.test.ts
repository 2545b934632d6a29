import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { der } from '../../../agent/identity/der.ts';
import { derChildren, derOid, readDer } from '../../../agent/identity/der-reader.ts';

const bytes = (h: string): Uint8Array => Buffer.from(h, 'hex');

test('readDer: short and long lengths', () => {
  assert.equal(readDer(bytes('020100')), { tag: 0x02, start: 2, end: 3 });
  const long = der.octetString(Buffer.alloc(300));
  assert.equal(readDer(long), { tag: 0x04, start: 4, end: 304 });
});

test('readDer at an offset, within a limit', () => {
  const b = bytes('3006020100020101');
  assert.equal(readDer(b, 5), { tag: 0x02, start: 7, end: 8 });
  assert.throws(() => readDer(b, 5, 7), /past the end/);
});

const bad: Array<[string, string, RegExp]> = [
  ['empty', '', /truncated header/],
  ['one byte', '30', /truncated header/],
  ['length past the end', '3005020100', /past the end/],
  ['indefinite length', '308000', /unsupported length/],
  ['five length bytes', '30850000000001', /unsupported length/],
  ['truncated long length', '3082', /truncated length/],
  ['multi-byte tag', '1f8101', /multi-byte tags/],
];
for (const [name, h, re] of bad) test(`readDer refuses: ${name}`, () => assert.throws(() => readDer(bytes(h)), re));

test('derChildren walks a constructed value; a child overrunning its parent throws', () => {
  const b = der.sequence(der.uint(0), der.oid('2.5.4.10'), der.context(0));
  assert.equal(derChildren(b, readDer(b)).map((n) => n.tag), [0x02, 0x06, 0xa0]);
  assert.equal(derChildren(bytes('3000'), readDer(bytes('3000'))), []);
  // SEQUENCE of length 3 whose INTEGER claims 2 content bytes.
  const overrun = bytes('30030202000000');
  assert.throws(() => derChildren(overrun, readDer(overrun)), /past the end/);
});

for (const dotted of ['2.5.29.17', '2.5.29.19', '1.2.840.10045.4.3.2', '1.2.840.113549.1.9.14', '2.999.3', '0.0', '1.3.6.1.4.1.311.20.2.3']) {
  test(`derOid round-trips ${dotted}`, () => {
    const b = der.oid(dotted);
    assert.is(derOid(b, readDer(b)), dotted);
  });
}

test('derOid refuses a non-OID, an empty one and a truncated arc', () => {
  assert.throws(() => derOid(bytes('020100'), readDer(bytes('020100'))), /not an OBJECT IDENTIFIER/);
  assert.throws(() => derOid(bytes('0600'), readDer(bytes('0600'))), /not an OBJECT IDENTIFIER/);
  assert.throws(() => derOid(bytes('06025586'), readDer(bytes('06025586'))), /truncated OID/);
});

test.run();
