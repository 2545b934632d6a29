import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RoundRobin } from '../../../agent/balancing/round-robin.ts';

test('cycles through items in order', () => {
  const rr = new RoundRobin(['a', 'b', 'c']);
  assert.equal([1, 2, 3, 4, 5, 6, 7].map(() => rr.pick()), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
});

test('empty gives undefined', () => {
  const rr = new RoundRobin<string>([]);
  assert.is(rr.pick(), undefined);
  assert.is(rr.pickOther('a'), undefined);
});

test('pickOther skips the failed item and does not move the rotation', () => {
  const rr = new RoundRobin(['a', 'b', 'c']);
  assert.is(rr.pick(), 'a');
  assert.is(rr.pickOther('b'), 'c');
  assert.is(rr.pick(), 'b');
});

test('regression: with a dead item, retries do not make every request start on it', () => {
  const rr = new RoundRobin(['dead', 'live']);
  let firstTries = 0;
  for (let i = 0; i < 10; i++) {
    const first = rr.pick()!;
    if (first === 'dead') {
      firstTries++;
      assert.is(rr.pickOther(first), 'live');
    }
  }
  assert.is(firstTries, 5);
});

test('pickOther on a single item has no other', () => {
  const rr = new RoundRobin(['a']);
  assert.is(rr.pickOther('a'), undefined);
});

test('spreads evenly', () => {
  const rr = new RoundRobin([1, 2]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 100; i++) counts[rr.pick()!]++;
  assert.equal(counts, [0, 50, 50]);
});

test.run();
