import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IdleHeapTrim, idleAction } from '../../../agent/idle-heap-trim.ts';

const MB = 1024 * 1024;

test('idleAction: the first quiet check after activity collects in full; later ones scavenge a young generation above its idle 1 MB', () => {
  assert.is(idleAction(10, 10, 8 * MB, false), 'full', 'quiet since the last check, not yet collected');
  assert.is(idleAction(10, 10, 1 * MB, false), 'full', 'whatever the young generation\'s size');
  assert.is(idleAction(10, 10, 8 * MB, true), 'scavenge', 'collected already, young generation grown again');
  assert.is(idleAction(10, 10, 1 * MB, true), null, 'collected, at its idle size');
  assert.is(idleAction(10, 11, 8 * MB, false), null, 'traffic since the last check');
  assert.is(idleAction(10, 11, 8 * MB, true), null);
});

test('IdleHeapTrim: nothing under traffic; once quiet, one full collection, then scavenges only when the young generation grows; a new burst of traffic earns a new full one', async () => {
  let activity = 0;
  let newSpace = 8 * MB;
  const calls: string[] = [];
  const t = new IdleHeapTrim({
    activity: () => activity,
    intervalMs: 20,
    newSpaceBytes: () => newSpace,
    scavenge: () => { calls.push('scavenge'); newSpace = MB; },
    fullCollection: () => { calls.push('full'); newSpace = MB; },
  });
  let busy = setInterval(() => activity++, 5);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(calls, [], 'nothing while requests arrive');
  clearInterval(busy);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(calls, ['full'], 'one full collection once quiet');
  newSpace = 8 * MB;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, ['full', 'scavenge'], 'a young generation grown while quiet (a snapshot): a scavenge');
  busy = setInterval(() => activity++, 5);
  await new Promise((r) => setTimeout(r, 60));
  clearInterval(busy);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(calls, ['full', 'scavenge', 'full'], 'quiet again after traffic: one more full collection');
  assert.is(t.fullCollections, 2);
  assert.is(t.trims, 1);
  t.close();
  const off = new IdleHeapTrim({ activity: () => 0, intervalMs: 10, newSpaceBytes: () => 8 * MB, scavenge: undefined, fullCollection: undefined });
  await new Promise((r) => setTimeout(r, 50));
  assert.is(off.trims + off.fullCollections, 0, 'without --expose-gc nothing runs');
  off.close();
});

test.run();
