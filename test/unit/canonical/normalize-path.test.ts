import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizePath, removeDotSegments, type PathNormalization } from '../../../agent/canonical/normalize-path.ts';

/** [raw target, BASE (Istio's default), MERGE_SLASHES (dockmesh's default), DECODE_AND_MERGE_SLASHES]; 'REJECT' = 400. */
const cases: Array<[string, string, string, string]> = [
  // RFC 3986 dot segments (Istio normalization doc §4)
  ['/public/./data/abc/../xyz', '/public/data/xyz', '/public/data/xyz', '/public/data/xyz'],
  ['/a/../b', '/b', '/b', '/b'],
  ['/../../etc/passwd', '/etc/passwd', '/etc/passwd', '/etc/passwd'],
  ['/a/b/..', '/a/', '/a/', '/a/'],
  ['/a/.', '/a/', '/a/', '/a/'],
  // percent-encoded unreserved characters are decoded once (§1), %2E%2E then resolves as ..
  ['/some%2fdata/%61%62%63', '/some%2Fdata/abc', '/some%2Fdata/abc', '/some/data/abc'],
  ['/public/%2E%2E/admin', '/admin', '/admin', '/admin'],
  ['/public/%2e%2e/admin', '/admin', '/admin', '/admin'],
  ['/%2D%5F%7E%30%39%41%5A', '/-_~09AZ', '/-_~09AZ', '/-_~09AZ'],
  ['/a%252e', '/a%252e', '/a%252e', '/a%252e'],
  ['/a%20b', '/a%20b', '/a%20b', '/a%20b'],
  ['/a%3bb', '/a%3Bb', '/a%3Bb', '/a%3Bb'],
  // %2F and %5C: only DECODE_AND_MERGE_SLASHES decodes them
  ['/public/..%2Fadmin', '/public/..%2Fadmin', '/public/..%2Fadmin', '/admin'],
  ['/public%5C..%5Cadmin', '/public%5C..%5Cadmin', '/public%5C..%5Cadmin', '/admin'],
  // backslash → slash (§2, BASE)
  ['/some\\data', '/some/data', '/some/data', '/some/data'],
  ['/public\\..\\admin', '/admin', '/admin', '/admin'],
  // multiple slashes (§3): not merged by BASE
  ['/some//data///abc', '/some//data///abc', '/some/data/abc', '/some/data/abc'],
  ['//admin', '//admin', '/admin', '/admin'],
  // dots are resolved before slashes are merged (Istio's order)
  ['/a//../b', '/a/b', '/a/b', '/a/b'],
  // ; is an ordinary character: path parameters are not stripped
  ['/public;x/../admin', '/admin', '/admin', '/admin'],
  ['/admin;jsessionid=1', '/admin;jsessionid=1', '/admin;jsessionid=1', '/admin;jsessionid=1'],
  // query is not part of the path (§5)
  ['/foo?v=1', '/foo', '/foo', '/foo'],
  ['/foo/../bar?x=/../y', '/bar', '/bar', '/bar'],
  // rejections
  ['/foo#frag', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo?x=1#frag', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo%00', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo%zz', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo%2', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo\0', 'REJECT', 'REJECT', 'REJECT'],
  ['/foo bar', 'REJECT', 'REJECT', 'REJECT'],
  ['foo', 'REJECT', 'REJECT', 'REJECT'],
  ['*', 'REJECT', 'REJECT', 'REJECT'],
  // non-ASCII bytes (latin1 from Node) are percent-encoded
  ['/caf\u00c3\u00a9', '/caf%C3%A9', '/caf%C3%A9', '/caf%C3%A9'],
];

const MODES: PathNormalization[] = ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'];
for (const [raw, ...want] of cases) {
  MODES.forEach((mode, i) => {
    test(`normalizePath(${JSON.stringify(raw)}, ${mode}) → ${want[i]}`, () => {
      const r = normalizePath(raw, mode);
      if (want[i] === 'REJECT') {
        assert.ok(r.reject, `not rejected: ${r.path}`);
      } else {
        assert.is(r.reject, undefined, r.reject);
        assert.is(r.path, want[i]);
      }
    });
  });
}

test('default mode is MERGE_SLASHES', () => assert.is(normalizePath('/a//b').path, '/a/b'));

test('the query is kept verbatim for forwarding', () => {
  const r = normalizePath('/a/./b?x=%2E%2E&y=//');
  assert.is(r.query, 'x=%2E%2E&y=//');
  assert.is(r.target, '/a/b?x=%2E%2E&y=//');
  assert.is(normalizePath('/a?').target, '/a?');
  assert.is(normalizePath('/a').target, '/a');
});

test('normalization happens once (no double decoding)', () => {
  assert.is(normalizePath('/%252E%252E/admin').path, '/%252E%252E/admin');
  const once = normalizePath('/x/%2E%2E/y').path;
  assert.is(normalizePath(once).path, once, 'idempotent');
});

test('the shortcut for paths already normal gives what the full rebuild gives (random paths, every mode)', () => {
  // A seeded generator, so a failure reproduces.
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['/', '/', '/', '.', '..', 'a', 'b.c', '.d', 'e..', '%2e', '%2F', '%41', '\\', '~', ';', '\u00e9', '?', '?x=/../', '//'];
  const modes = ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
  let shortcuts = 0;
  for (let i = 0; i < 20000; i++) {
    let s = '/';
    for (let k = rand(7); k > 0; k--) s += pieces[rand(pieces.length)];
    for (const mode of modes) {
      const fast = normalizePath(s, mode);
      const full = normalizePath(s, mode, false);
      assert.equal(fast, full, `${JSON.stringify(s)} in ${mode}`);
      if (fast.target === s && !fast.reject) shortcuts++;
    }
  }
  assert.ok(shortcuts > 1000, 'many inputs took the shortcut');
});

for (const [input, want] of [['/', '/'], ['/a/b/c/./../../g', '/a/g'], ['/mid/content=5/../6', '/mid/6'], ['/..', '/'], ['/.', '/']] as const) {
  test(`removeDotSegments(${input}) = ${want} (RFC 3986 5.2.4 examples)`, () => assert.is(removeDotSegments(input), want));
}

test.run();
