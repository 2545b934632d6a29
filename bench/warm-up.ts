/**
 * When a target is warm (pure). Measured here: a fresh agent under saturation needs 15–20 s of load
 * before its throughput stops rising (21k → 31k req/s, CPU per request 48 → 32 µs: V8 optimises the
 * data path in steps, on the same core). A fixed 1 s warm-up left most of that in the measured
 * rounds, where it showed up as a trend across rounds and as noise between targets.
 */

import type { WarmUpRecord } from './model.ts';

export interface WarmUpRule {
  /** Seconds per warm-up run. */
  stepS: number;
  /** Never less than this much warm-up. */
  minS: number;
  /** Never more: a target that does not settle is measured anyway (and the report says so). */
  maxS: number;
  /** How many of the last runs must agree. */
  window: number;
  /** How closely: (max − min) ÷ max of those runs' requests per second. */
  tolerance: number;
}

export const WARM_UP: WarmUpRule = { stepS: 2, minS: 10, maxS: 40, window: 3, tolerance: 0.04 };

/** Whether warm-up can stop after runs with these requests per second (in order), `elapsedS` in all. */
export function settled(rps: readonly number[], elapsedS: number, rule: WarmUpRule = WARM_UP): boolean {
  if (elapsedS < rule.minS || rps.length < rule.window) return false;
  const last = rps.slice(-rule.window);
  const max = Math.max(...last);
  const min = Math.min(...last);
  return max > 0 && (max - min) / max <= rule.tolerance;
}

/**
 * Runs `runOnce` (one warm-up run of `rule.stepS` seconds, resolving to its requests per second)
 * until the throughput settles or `rule.maxS` has passed.
 */
export async function warmUpUntilSettled(runOnce: () => Promise<number>, rule: WarmUpRule = WARM_UP): Promise<WarmUpRecord> {
  const rps: number[] = [];
  let seconds = 0;
  while (seconds < rule.maxS) {
    rps.push(Math.round(await runOnce()));
    seconds += rule.stepS;
    if (settled(rps, seconds, rule)) break;
  }
  return { seconds, settled: settled(rps, seconds, rule), requestsPerSec: rps };
}
