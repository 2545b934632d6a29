/**
 * The goals of a stored run judged again by the current rules (bench/report/goals.ts), from the
 * figures it stored: `--render` uses it, so a RESULTS.md re-rendered after a change of those rules
 * says what the same measurements mean under them. Pure.
 */
import type { BenchResults } from '../model.ts';
import { checkGoals } from './goals.ts';

export function rejudge(results: BenchResults): BenchResults {
  const { cells, ratios, targets, samples, controlPlane, meshUp } = results;
  return { ...results, goals: checkGoals({ cells, ratios, targets, samples, controlPlane, meshUp }) };
}
