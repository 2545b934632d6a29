/**
 * Pure: one analysis tick of a Canary, Flagger's `advanceCanary` for compose (docs/canary.md).
 *
 * A new revision (the set of `dockmesh.canary: "true"` replicas changed) starts the analysis:
 * Progressing, weight 0, counters 0. Each later tick, once every canary replica's agent is ready:
 * rollback when `failedChecks >= threshold` (weights back to the primary, Failed); else the metrics
 * are checked, except on the first tick (weight 0, no iteration yet); a failed check adds one to
 * `failedChecks` (never reset by a passing one) and holds the weight; a passing one advances:
 * - weighted: the weight grows by `stepWeight` (or to the next `stepWeights` entry), capped at 100
 *   only, as Flagger's; at or past `maxWeight`, one more passing check promotes;
 * - A/B (`iterations` with `match`): matching requests go to the canary; `iterations` passing
 *   checks, then one more, promote.
 * Promotion in compose cannot copy the canary's spec into the primary containers (they are the
 * user's), so the canary takes the traffic instead: Promoting shifts it to the canary (all at once,
 * or by `stepWeightPromotion` per tick) and Succeeded keeps it there until the canary replicas go.
 */
import type { CanarySpec } from '../meshfile/canary-spec.ts';
import type { MetricCheck } from './canary-metrics.ts';

export type CanaryPhase = 'Initialized' | 'Progressing' | 'Promoting' | 'Succeeded' | 'Failed';

export interface CanaryState {
  phase: CanaryPhase;
  /** The canary's share of the weighted route, 0–100. */
  canaryWeight: number;
  /** A/B routing on. */
  abTesting: boolean;
  failedChecks: number;
  iterations: number;
  /** The canary replicas the analysis is about (sorted container ids, joined); '' none. */
  revision: string;
  /** Epoch ms of the last phase change. */
  lastTransitionTime: number;
  message: string;
  /** The last tick's metric checks. */
  checks: MetricCheck[];
}

export interface TickInput {
  now: number;
  revision: string;
  /** Every canary replica has a ready agent. */
  canaryReady: boolean;
  /** Runs the metric checks (only called when the tick needs them). */
  check: () => MetricCheck[];
}

export function initialState(now: number): CanaryState {
  return { phase: 'Initialized', canaryWeight: 0, abTesting: false, failedChecks: 0, iterations: 0, revision: '', lastTransitionTime: now, message: 'no canary replicas: every request goes to the primary', checks: [] };
}

/** Flagger's maxWeight(): the last stepWeights entry, else maxWeight, else 100. */
export function maxWeight(spec: CanarySpec): number {
  const a = spec.analysis;
  if (a.stepWeights?.length) return Math.min(100, a.stepWeights.at(-1)!);
  return a.maxWeight && a.maxWeight > 0 ? a.maxWeight : 100;
}

/** Flagger's next weight: `stepWeight` when set, else the next `stepWeights` entry. */
export function nextWeight(spec: CanarySpec, current: number): number {
  const a = spec.analysis;
  const sw = a.stepWeights ?? [];
  if ((a.stepWeight ?? 0) > 0 || sw.length === 0) return Math.min(100, current + (a.stepWeight ?? 0));
  if (current === 0) return Math.min(100, sw[0]!);
  const i = sw.indexOf(current);
  if (i >= 0 && i < sw.length - 1) return Math.min(100, sw[i + 1]!);
  return 100;
}

const isAB = (spec: CanarySpec): boolean => (spec.analysis.iterations ?? 0) > 0 && (spec.analysis.match?.length ?? 0) > 0;
const threshold = (spec: CanarySpec): number => (spec.analysis.threshold > 0 ? spec.analysis.threshold : 1);

function to(s: CanaryState, phase: CanaryPhase, now: number, message: string, patch: Partial<CanaryState> = {}): CanaryState {
  return { ...s, ...patch, phase, message, lastTransitionTime: phase === s.phase ? s.lastTransitionTime : now };
}

function failedNames(checks: readonly MetricCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => (c.value === undefined ? `no values found for ${c.metric} (no request reached the canary)` : `${c.metric} ${round(c.value)} ${c.min !== undefined && c.value < c.min ? `< ${c.min}` : `> ${c.max}`}`))
    .join('; ');
}

const round = (v: number): string => (Number.isInteger(v) ? `${v}` : v.toFixed(2));

/** One tick. */
export function tick(spec: CanarySpec, s: CanaryState, input: TickInput): CanaryState {
  const { now } = input;
  if (spec.suspend) return s.message.startsWith('suspended') ? s : { ...s, message: `suspended: ${s.message}` };
  if (input.revision === '') {
    if (s.revision === '' && s.phase === 'Initialized') return s;
    return { ...initialState(now), lastTransitionTime: now };
  }
  if (input.revision !== s.revision) {
    const restart = s.phase === 'Progressing';
    return to(s, 'Progressing', now, restart ? 'new revision detected: restarting analysis' : 'new revision detected: progressing canary analysis', {
      revision: input.revision,
      canaryWeight: 0,
      abTesting: false,
      failedChecks: 0,
      iterations: 0,
      checks: [],
    });
  }
  if (s.phase === 'Succeeded' || s.phase === 'Failed' || s.phase === 'Initialized') return s;
  if (!input.canaryReady) return { ...s, message: 'waiting for the canary replicas\' agents to be ready' };
  if (s.phase === 'Progressing' && spec.skipAnalysis) {
    return to(s, 'Succeeded', now, 'analysis skipped (skipAnalysis): the canary takes every request', { canaryWeight: 100, abTesting: false });
  }
  if (s.phase === 'Promoting') {
    const step = spec.analysis.stepWeightPromotion ?? 0;
    const w = step > 0 ? Math.min(100, s.canaryWeight + step) : 100;
    if (w >= 100) return to(s, 'Succeeded', now, 'canary analysis completed successfully: the canary takes every request', { canaryWeight: 100, abTesting: false });
    return { ...s, canaryWeight: w, abTesting: false, message: `promoting: canary weight ${w}` };
  }
  // Progressing.
  if (s.failedChecks >= threshold(spec)) {
    return to(s, 'Failed', now, `canary analysis failed after ${s.failedChecks} failed checks: every request goes to the primary`, { canaryWeight: 0, abTesting: false });
  }
  const ab = isAB(spec);
  let checks: MetricCheck[] = [];
  if (s.canaryWeight > 0 || s.iterations > 0) {
    checks = input.check();
    if (checks.some((c) => !c.ok)) {
      return { ...s, checks, failedChecks: s.failedChecks + 1, message: `halt advancement: ${failedNames(checks)}` };
    }
  }
  if (ab) {
    if (s.iterations < spec.analysis.iterations!) {
      const iterations = s.iterations + 1;
      return { ...s, checks, abTesting: true, iterations, message: `A/B testing: iteration ${iterations} of ${spec.analysis.iterations}` };
    }
    return to(s, 'Promoting', now, 'canary analysis completed: promoting', { checks, abTesting: false, canaryWeight: 0 });
  }
  if (s.canaryWeight >= maxWeight(spec)) return to(s, 'Promoting', now, 'canary analysis completed: promoting', { checks });
  const w = nextWeight(spec, s.canaryWeight);
  if (w <= s.canaryWeight) return { ...s, checks, message: 'stalled: no step weight to advance by (set analysis.stepWeight or stepWeights)' };
  return { ...s, checks, canaryWeight: w, message: `advance: canary weight ${w}` };
}
