import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contentHash, TAG_HASH_LENGTH } from '../../../cli/images/content-hash.ts';

const test = suite('contentHash');

const A = [
  { name: 'agent/main.ts', content: 'console.log(1)' },
  { name: 'wire/types.ts', content: 'export {}' },
];

test('is stable and as long as a tag hash', () => {
  const h = contentHash(A);
  assert.is(h, contentHash(A.map((x) => ({ ...x }))));
  assert.is(h.length, TAG_HASH_LENGTH);
  assert.match(h, /^[0-9a-f]+$/);
});

test('does not depend on input order', () => {
  assert.is(contentHash(A), contentHash([...A].reverse()));
});

test('strings and bytes of the same content hash alike', () => {
  assert.is(contentHash(A), contentHash(A.map((x) => ({ name: x.name, content: Buffer.from(x.content) }))));
});

const changes: [string, { name: string; content: string }[]][] = [
  ['one byte of content', [A[0]!, { name: 'wire/types.ts', content: 'export {} ' }]],
  ['a file name', [A[0]!, { name: 'wire/type.ts', content: 'export {}' }]],
  ['a file added', [...A, { name: 'x', content: '' }]],
  ['a file removed', [A[0]!]],
  ['bytes moved from one file to the next', [{ name: 'agent/main.ts', content: 'console.log(1)e' }, { name: 'wire/types.ts', content: 'xport {}' }]],
];
for (const [what, inputs] of changes) {
  test(`changes with ${what}`, () => {
    assert.is.not(contentHash(inputs), contentHash(A));
  });
}

test.run();
