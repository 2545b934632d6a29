import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settled, WARM_UP, warmUpUntilSettled } from '../../../bench/warm-up.ts';

test('an agent warming up (measured here, 3 s runs) is not settled until its throughput stops rising', () => {
  const curve = [20762, 25423, 25063, 27612, 29160, 31369, 31402, 31269];
  const stopAt = curve.findIndex((_, i) => settled(curve.slice(0, i + 1), (i + 1) * 3));
  assert.is(stopAt, 7, 'not at 25k/25k (a plateau on the way up), only at 31k ×3');
});

test('a native proxy settles at the minimum warm-up', () => {
  const flat = [43000, 42500, 43300, 42900, 43100, 43000];
  const n = flat.findIndex((_, i) => settled(flat.slice(0, i + 1), (i + 1) * WARM_UP.stepS));
  assert.is((n + 1) * WARM_UP.stepS, WARM_UP.minS);
});

test('fewer runs than the window, or no throughput, is never settled', () => {
  assert.not.ok(settled([30000, 30000], 60));
  assert.not.ok(settled([0, 0, 0], 60));
});

test('warmUpUntilSettled runs until the throughput settles, or until the time limit', async () => {
  const curve = [20762, 25423, 25063, 27612, 29160, 31369, 31402, 31269, 31300];
  let i = 0;
  const warm = await warmUpUntilSettled(async () => curve[i++]!, { ...WARM_UP, stepS: 3 });
  assert.equal(warm, { seconds: 24, settled: true, requestsPerSec: curve.slice(0, 8) });
  let n = 0;
  const never = await warmUpUntilSettled(async () => (n++ % 2 ? 10000 : 20000.4), { ...WARM_UP, maxS: 12 });
  assert.equal([never.seconds, never.settled, never.requestsPerSec.length], [12, false, 6]);
});

test.run();
