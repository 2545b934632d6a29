// Run with `node --import tsx --max-semi-space-size=4 --expose-gc`: grows V8's young generation with
// a burst of short-lived objects, then sits idle under an IdleHeapTrim that checks every 200 ms
// (V8 shrinks only once its allocation rate over the last 5 s is low); prints the young
// generation's size (bytes) after the burst and once back to 1 MB with a full collection run (or
// after 10 s), as JSON.
import { IdleHeapTrim, newSpaceBytes as newSpace } from '../../agent/idle-heap-trim.ts';

let activity = 0;
const trim = new IdleHeapTrim({ activity: () => activity, intervalMs: 200 });
// Objects that survive a scavenge or two (a rolling window), as requests in flight do.
let window: object[] = [];
const until = Date.now() + 1500;
while (Date.now() < until || newSpace() < 4 * 1024 * 1024) {
  for (let i = 0; i < 20_000; i++) window.push({ i, s: `x${i}`, a: [i, i] });
  if (window.length > 200_000) window = window.slice(100_000);
  activity++;
  if (Date.now() > until + 10_000) break;
}
window = [];
const afterBurst = newSpace();
const idleSince = Date.now();
while ((newSpace() > 1024 * 1024 || trim.fullCollections === 0) && Date.now() - idleSince < 10_000) await new Promise((r) => setTimeout(r, 100));
process.stdout.write(JSON.stringify({ afterBurst, afterIdle: newSpace(), trims: trim.trims, fullCollections: trim.fullCollections, idleMs: Date.now() - idleSince }) + '\n');
trim.close();
