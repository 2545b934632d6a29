import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { median, percentile, percentileSorted, summarize } from '../../../bench/stats/percentiles.ts';

const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];

test('nearest-rank percentiles pick a real sample', () => {
  const cases: Array<[number, number]> = [
    [0, 1],
    [10, 1],
    [50, 5],
    [51, 6],
    [90, 9],
    [99, 10],
    [100, 10],
  ];
  for (const [p, want] of cases) assert.is(percentile(ten, p), want, `p${p}`);
});

test('percentile does not reorder its input', () => {
  const input = ten.slice();
  percentile(input, 50);
  assert.equal(input, ten);
});

test('percentile of nothing is NaN; out of range throws', () => {
  assert.ok(Number.isNaN(percentileSorted([], 50)));
  assert.throws(() => percentileSorted([1], 101), /out of range/);
  assert.throws(() => percentileSorted([1], -1), /out of range/);
});

test('p99 of 1,000 samples is the 990th', () => {
  const s = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.is(percentile(s, 99), 990);
  assert.is(percentile(s, 90), 900);
});

test('median: odd, even, skips non-finite, empty', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([NaN, 5, Infinity, 7]), 6);
  assert.ok(Number.isNaN(median([])));
});

test('summarize gives p50/p90/p99/max/mean', () => {
  const s = summarize(Float64Array.from(ten));
  assert.equal(s, { count: 10, p50: 5, p90: 9, p99: 10, max: 10, mean: 5.5 });
  const empty = summarize([]);
  assert.is(empty.count, 0);
  assert.ok(Number.isNaN(empty.max));
});

test.run();
