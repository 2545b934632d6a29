import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mb, rps, signedUs, times, us } from '../../../bench/report/format.ts';

test('us: µs below 1 ms, ms above, dash when missing', () => {
  const cases: Array<[number | null, string]> = [
    [57.4, '57 µs'],
    [999.4, '999 µs'],
    [1234, '1.23 ms'],
    [56_876, '56.9 ms'],
    [null, '—'],
    [NaN, '—'],
  ];
  for (const [v, want] of cases) assert.is(us(v), want);
});

test('signedUs, rps, times, mb', () => {
  assert.is(signedUs(80), '+80 µs');
  assert.is(signedUs(-88), '-88 µs');
  assert.is(rps(21345.6), '21,346');
  assert.is(times(0.5149), '0.51×');
  assert.is(times(null), '—');
  assert.is(mb(51_200), '50.0 MB');
});

test.run();
