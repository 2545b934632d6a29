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
 *
 * Webhooks, where Flagger calls them: confirm-rollout gates a new revision (Waiting, asked again each
 * tick); rollback (any 2xx) rolls back; pre-rollout (first tick) and rollout (each checked tick)
 * count a failed check when they fail; confirm-traffic-increase holds a step without counting;
 * confirm-promotion holds promotion (WaitingPromotion, the checks go on); post-rollout after
 * Succeeded or Failed (its answer is ignored).
 */
import type { CanarySpec } from '../meshfile/canary-spec.ts';
import { durationMs } from '../meshfile/duration.ts';
import { BUILTIN_METRICS } from '../meshfile/canary-checks.ts';
import type { MetricCheck } from './canary-metrics.ts';

export type CanaryPhase = 'Initialized' | 'Waiting' | 'Progressing' | 'WaitingPromotion' | 'Promoting' | 'Succeeded' | 'Failed';

/** Flagger's webhook types (an empty type is `rollout`). */
export type HookType = 'confirm-rollout' | 'pre-rollout' | 'rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'post-rollout' | 'rollback';

export interface CanaryState {
  phase: CanaryPhase;
  /** The canary's share of the weighted route, 0–100. */
  canaryWeight: number;
  /** A/B routing on. */
  abTesting: boolean;
  /** Requests to the primary are mirrored to the canary (`analysis.mirror`). */
  mirrored: boolean;
  failedChecks: number;
  iterations: number;
  /** The canary replicas the analysis is about (sorted container ids, joined); '' none. */
  revision: string;
  /** Epoch ms of the last phase change. */
  lastTransitionTime: number;
  message: string;
  /** The last tick's metric checks. */
  checks: MetricCheck[];
  /** Why the analysis failed (set with phase Failed; the alerts say it). */
  failure?: 'deadline' | 'rollback-webhook' | 'threshold';
  /** Session affinity (set by the controller, session-cookies.ts); absent without it. */
  cookies?: SessionCookies;
}

/** Flagger's session-affinity status: each cookie as `name=value`. */
export interface SessionCookies {
  /** This run's canary cookie, while the canary has a weight. */
  canary?: string;
  /** The last run's canary cookie, expired (Max-Age=-1) on requests that still carry it. */
  previous?: string;
  /** The primary cookie of the current step (primaryCookieName). */
  primary?: string;
  /** The canary weight `primary` was made for: each step makes a new one. */
  primaryStep?: number;
}

export interface TickInput {
  now: number;
  revision: string;
  /** Enough canary replicas have a ready agent (`analysis.canaryReadyThreshold`, readyEnough()). */
  canaryReady: boolean;
  /** Enough primary replicas have a ready agent (`analysis.primaryReadyThreshold`); default true. */
  primaryReady?: boolean;
  /** Runs the metric checks (only called when the tick needs them). */
  check: () => MetricCheck[] | Promise<MetricCheck[]>;
  /**
   * Calls the Canary's webhooks of one type in order, with `phase` in their payload: true when every
   * one answered 2xx (for `rollback`: when one did), false otherwise, undefined when it has none.
   */
  hooks?: (type: HookType, phase: CanaryPhase) => Promise<boolean | undefined>;
}

export function initialState(now: number): CanaryState {
  return { phase: 'Initialized', canaryWeight: 0, abTesting: false, mirrored: false, failedChecks: 0, iterations: 0, revision: '', lastTransitionTime: now, message: 'no canary replicas: every request goes to the primary', checks: [] };
}

/** The analysis interval in milliseconds (Flagger's default: 60 s). */
export function analysisIntervalMs(spec: CanarySpec): number {
  return spec.analysis?.interval ? durationMs(spec.analysis.interval) : 60_000;
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

/**
 * Flagger's readiness rule for `total` replicas of which `ready` are ready, with a threshold in
 * percent (canaryReadyThreshold / primaryReadyThreshold, default 100): at least
 * trunc(total × threshold / 100) ready. None at all is never ready (there is nothing to analyse).
 */
export function readyEnough(ready: number, total: number, thresholdPercent: number | undefined): boolean {
  if (total === 0) return false;
  return ready >= Math.trunc((total * (thresholdPercent ?? 100)) / 100);
}

/** What the analysis says while a confirm-traffic-increase webhook holds the next step. */
export const TRAFFIC_INCREASE_WAIT = 'waiting for approval: a confirm-traffic-increase webhook did not confirm the next step';

/** Flagger's default progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_S = 600;

const isAB = (spec: CanarySpec): boolean => (spec.analysis.iterations ?? 0) > 0 && (spec.analysis.match?.length ?? 0) > 0;
const threshold = (spec: CanarySpec): number => (spec.analysis.threshold > 0 ? spec.analysis.threshold : 1);

function to(s: CanaryState, phase: CanaryPhase, now: number, message: string, patch: Partial<CanaryState> = {}): CanaryState {
  return { ...s, ...patch, phase, message, lastTransitionTime: phase === s.phase ? s.lastTransitionTime : now };
}

function failedNames(checks: readonly MetricCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => {
      if (c.error) return `${c.metric}: ${c.error}`;
      if (c.value === undefined) return `no values found for ${c.metric}${BUILTIN_METRICS.has(c.metric) ? ' (no request reached the canary)' : ''}`;
      return `${c.metric} ${round(c.value)} ${c.min !== undefined && c.value < c.min ? `< ${c.min}` : `> ${c.max}`}`;
    })
    .join('; ');
}

const round = (v: number): string => (Number.isInteger(v) ? `${v}` : v.toFixed(2));

/** One tick. */
export async function tick(spec: CanarySpec, s: CanaryState, input: TickInput): Promise<CanaryState> {
  const { now } = input;
  const hooks = input.hooks ?? (async () => undefined);
  /** Ends the analysis: post-rollout hooks are called, their answer ignored. */
  const end = async (next: CanaryState): Promise<CanaryState> => {
    await hooks('post-rollout', next.phase);
    return next;
  };
  if (spec.suspend) return s.message.startsWith('suspended') ? s : { ...s, message: `suspended: ${s.message}` };
  if (input.revision === '') {
    if (s.revision === '' && s.phase === 'Initialized') return s;
    return { ...initialState(now), lastTransitionTime: now };
  }
  if (input.revision !== s.revision) {
    const restart = s.phase === 'Progressing' || s.phase === 'WaitingPromotion' || s.phase === 'Promoting';
    if (!restart && (await hooks('confirm-rollout', s.phase)) === false) {
      return to(s, 'Waiting', now, 'waiting for approval: a confirm-rollout webhook did not confirm (asked again every interval)');
    }
    return to(s, 'Progressing', now, restart ? 'new revision detected: restarting analysis' : 'new revision detected: progressing canary analysis', {
      revision: input.revision,
      canaryWeight: 0,
      abTesting: false,
      mirrored: false,
      failedChecks: 0,
      iterations: 0,
      checks: [],
      failure: undefined,
    });
  }
  if (s.phase === 'Succeeded' || s.phase === 'Failed' || s.phase === 'Initialized' || s.phase === 'Waiting') return s;
  // Flagger halts the advance, counting nothing, while the primary is not ready.
  if (input.primaryReady === false) return { ...s, message: 'waiting for the primary replicas\' agents to be ready' };
  if (!input.canaryReady) {
    const deadlineMs = (spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S) * 1000;
    if (s.phase === 'Progressing' && now - s.lastTransitionTime > deadlineMs) {
      return end(to(s, 'Failed', now, `the canary's agents were not ready within progressDeadlineSeconds (${deadlineMs / 1000} s): every request goes to the primary`, { canaryWeight: 0, abTesting: false, mirrored: false, failure: 'deadline' }));
    }
    return { ...s, message: 'waiting for the canary replicas\' agents to be ready' };
  }
  if (s.phase === 'Progressing' && spec.skipAnalysis) {
    return to(s, 'Succeeded', now, 'analysis skipped (skipAnalysis): the canary takes every request', { canaryWeight: 100, abTesting: false, mirrored: false });
  }
  if (s.phase === 'Promoting') {
    const step = spec.analysis.stepWeightPromotion ?? 0;
    const w = step > 0 ? Math.min(100, s.canaryWeight + step) : 100;
    if (w >= 100) return end(to(s, 'Succeeded', now, 'canary analysis completed successfully: the canary takes every request', { canaryWeight: 100, abTesting: false, mirrored: false }));
    return { ...s, canaryWeight: w, abTesting: false, mirrored: false, message: `promoting: canary weight ${w}` };
  }
  // Progressing or WaitingPromotion.
  if ((await hooks('rollback', s.phase)) === true) {
    return end(to(s, 'Failed', now, 'rolled back by a rollback webhook: every request goes to the primary', { canaryWeight: 0, abTesting: false, mirrored: false, failure: 'rollback-webhook' }));
  }
  if (s.failedChecks >= threshold(spec)) {
    return end(to(s, 'Failed', now, `canary analysis failed after ${s.failedChecks} failed checks: every request goes to the primary`, { canaryWeight: 0, abTesting: false, mirrored: false, failure: 'threshold' }));
  }
  /** Promotion, once every confirm-promotion webhook confirms; else WaitingPromotion (the checks go on). */
  async function promote(from: CanaryState, patch: Partial<CanaryState>): Promise<CanaryState> {
    if ((await hooks('confirm-promotion', 'Progressing')) === false) {
      return to(from, 'WaitingPromotion', now, 'waiting for approval: a confirm-promotion webhook did not confirm (asked again every interval)', patch);
    }
    return to(from, 'Promoting', now, 'canary analysis completed: promoting', patch);
  }
  const ab = isAB(spec);
  const blueGreen = !ab && (spec.analysis.iterations ?? 0) > 0;
  let checks: MetricCheck[] = [];
  const first = s.canaryWeight === 0 && s.iterations === 0 && !s.mirrored;
  if ((await hooks(first ? 'pre-rollout' : 'rollout', 'Progressing')) === false) {
    return { ...s, failedChecks: s.failedChecks + 1, message: `halt advancement: a ${first ? 'pre-rollout' : 'rollout'} webhook failed` };
  }
  if (!first) {
    checks = await input.check();
    if (checks.some((c) => !c.ok)) {
      return { ...s, checks, failedChecks: s.failedChecks + 1, message: `halt advancement: ${failedNames(checks)}` };
    }
  }
  if (ab || blueGreen) {
    if (s.iterations < spec.analysis.iterations!) {
      const iterations = s.iterations + 1;
      const mirrored = blueGreen && spec.analysis.mirror === true;
      const what = ab ? 'A/B testing' : mirrored ? 'blue/green with mirrored traffic' : 'blue/green';
      return { ...s, checks, abTesting: ab, mirrored, iterations, message: `${what}: iteration ${iterations} of ${spec.analysis.iterations}` };
    }
    return promote(s, { checks, abTesting: false, mirrored: false, canaryWeight: 0 });
  }
  if (s.canaryWeight >= maxWeight(spec)) return promote(s, { checks });
  // Flagger's canary release with mirroring: at weight 0, a step of mirrored traffic comes first.
  if (spec.analysis.mirror === true && s.canaryWeight === 0 && !s.mirrored) {
    return { ...s, checks, mirrored: true, message: 'mirroring requests to the canary (its answers are discarded)' };
  }
  if ((await hooks('confirm-traffic-increase', 'Progressing')) === false) {
    return { ...s, checks, message: TRAFFIC_INCREASE_WAIT };
  }
  const w = nextWeight(spec, s.canaryWeight);
  if (w <= s.canaryWeight) return { ...s, checks, message: 'stalled: no step weight to advance by (set analysis.stepWeight or stepWeights)' };
  return { ...s, checks, canaryWeight: w, mirrored: false, message: `advance: canary weight ${w}` };
}
