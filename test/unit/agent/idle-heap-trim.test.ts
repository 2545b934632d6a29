import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IdleHeapTrim, shouldTrim } from '../../../agent/idle-heap-trim.ts';

const MB = 1024 * 1024;

test('shouldTrim: only without new activity and with a young generation above its idle 1 MB', () => {
  assert.ok(shouldTrim(10, 10, 8 * MB));
  assert.not.ok(shouldTrim(10, 11, 8 * MB), 'traffic since the last check');
  assert.not.ok(shouldTrim(10, 10, 1 * MB), 'already at its idle size');
});

test('IdleHeapTrim scavenges once when idle and grown, not under traffic, and does nothing without a gc', async () => {
  let activity = 0;
  let newSpace = 8 * MB;
  let scavenges = 0;
  const t = new IdleHeapTrim({ activity: () => activity, intervalMs: 20, newSpaceBytes: () => newSpace, scavenge: () => { scavenges++; newSpace = MB; } });
  const busy = setInterval(() => activity++, 5);
  await new Promise((r) => setTimeout(r, 120));
  assert.is(scavenges, 0, 'no scavenge while requests arrive');
  clearInterval(busy);
  await new Promise((r) => setTimeout(r, 120));
  assert.is(scavenges, 1, 'one scavenge once idle; none after the young generation is back to 1 MB');
  assert.is(t.trims, 1);
  t.close();
  const off = new IdleHeapTrim({ activity: () => 0, intervalMs: 10, newSpaceBytes: () => 8 * MB, scavenge: undefined });
  await new Promise((r) => setTimeout(r, 50));
  assert.is(off.trims, 0, 'without --expose-gc nothing runs');
  off.close();
});

test.run();
