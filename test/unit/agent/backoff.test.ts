import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay } from '../../../agent/backoff.ts';
import { LineSplitter } from '../../../agent/line-splitter.ts';

test('backoff grows exponentially and is capped', () => {
  const max = (a: number) => backoffDelay(a, { baseMs: 100, maxMs: 5000 }, () => 1);
  assert.equal([0, 1, 2, 3, 6, 20, 1000].map(max), [100, 200, 400, 800, 5000, 5000, 5000]);
});

test('jitter stays within [half, full]', () => {
  const min = backoffDelay(3, { baseMs: 100, maxMs: 5000 }, () => 0);
  assert.is(min, 400);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(3, { baseMs: 100, maxMs: 5000 });
    assert.ok(d >= 400 && d <= 800, String(d));
  }
});

test('line splitter joins partial lines across chunks and skips blanks', () => {
  const s = new LineSplitter();
  assert.equal(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.equal(s.push(':2}\n\n'), ['{"b":2}']);
  assert.equal(s.push('{"c":3}'), []);
  assert.equal(s.push('\r\n'), ['{"c":3}']);
});

test.run();
