import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialState, nextWeight, maxWeight, readyEnough, tick, type CanaryState, type TickInput } from '../../../control/canary/canary-analysis.ts';
import { checkMetric, histogramQuantile, parseSample, delta, successRate, p99Ms, type MetricCheck } from '../../../control/canary/canary-metrics.ts';
import type { CanarySpec } from '../../../control/meshfile/canary-spec.ts';

const spec = (analysis: Partial<CanarySpec['analysis']>, more: Partial<CanarySpec> = {}): CanarySpec => ({
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
  service: { port: 8080 },
  analysis: { interval: '10s', threshold: 2, ...analysis },
  ...more,
});
const pass: MetricCheck[] = [{ metric: 'request-success-rate', value: 100, min: 99, ok: true }];
const fail: MetricCheck[] = [{ metric: 'request-success-rate', value: 50, min: 99, ok: false }];

async function run(sp: CanarySpec, results: MetricCheck[][], ticks: number, hooks?: TickInput['hooks']): Promise<CanaryState[]> {
  let s = initialState(0);
  const out: CanaryState[] = [];
  let checks = 0;
  for (let i = 0; i < ticks; i++) {
    s = await tick(sp, s, { now: i, revision: 'c1', canaryReady: true, check: () => results[Math.min(checks++, results.length - 1)]!, hooks });
    out.push(s);
  }
  return out;
}

test('weights: stepWeight to maxWeight (overshooting as Flagger does), stepWeights in order', async () => {
  assert.is(nextWeight(spec({ stepWeight: 20, maxWeight: 50 }), 40), 60);
  assert.is(nextWeight(spec({ stepWeights: [5, 20, 50] }), 0), 5);
  assert.is(nextWeight(spec({ stepWeights: [5, 20, 50] }), 5), 20);
  assert.is(maxWeight(spec({ stepWeights: [5, 20, 50], maxWeight: 90 })), 50);
  assert.is(maxWeight(spec({})), 100);
});

test('a healthy canary: first step unchecked, one step per passing check, promotion past maxWeight, then Succeeded at 100%', async () => {
  const states = await run(spec({ stepWeight: 25, maxWeight: 50 }), [pass], 7);
  assert.equal(states.map((s) => [s.phase, s.canaryWeight]), [
    ['Progressing', 0],
    ['Progressing', 25],
    ['Progressing', 50],
    ['Promoting', 50],
    ['Succeeded', 100],
    ['Succeeded', 100],
    ['Succeeded', 100],
  ]);
});

test('failed checks hold the weight, add up (a pass does not reset them) and roll back at threshold', async () => {
  const states = await run(spec({ stepWeight: 10, maxWeight: 50, threshold: 2 }), [fail, pass, fail], 6);
  assert.equal(states.map((s) => [s.phase, s.canaryWeight, s.failedChecks]), [
    ['Progressing', 0, 0],
    ['Progressing', 10, 0],
    ['Progressing', 10, 1],
    ['Progressing', 20, 1],
    ['Progressing', 20, 2],
    ['Failed', 0, 2],
  ]);
  assert.match(states[2]!.message, /request-success-rate 50 < 99/);
});

test('no traffic to the canary is a failed check (no values found)', async () => {
  const c = checkMetric({ name: 'request-success-rate', thresholdRange: { min: 99 } }, { requests: 0, ok: 0, buckets: new Map() });
  assert.is(c.ok, false);
  assert.is(c.value, undefined);
});

test('A/B: matching requests to the canary for `iterations` passing checks, then promotion', async () => {
  const states = await run(spec({ iterations: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }), [pass], 6);
  assert.equal(states.map((s) => [s.phase, s.abTesting, s.iterations, s.canaryWeight]), [
    ['Progressing', false, 0, 0],
    ['Progressing', true, 1, 0],
    ['Progressing', true, 2, 0],
    ['Promoting', false, 2, 0],
    ['Succeeded', false, 2, 100],
    ['Succeeded', false, 2, 100],
  ]);
});

test('a new revision restarts the analysis; the canary gone resets to primary-only; not ready waits', async () => {
  let s = (await run(spec({ stepWeight: 10 }), [pass], 3)).at(-1)!;
  assert.is(s.canaryWeight, 20);
  s = await tick(spec({ stepWeight: 10 }), s, { now: 9, revision: 'c2', canaryReady: true, check: () => pass });
  assert.equal([s.phase, s.canaryWeight, s.failedChecks, s.message], ['Progressing', 0, 0, 'new revision detected: restarting analysis']);
  const waiting = await tick(spec({ stepWeight: 10 }), s, { now: 10, revision: 'c2', canaryReady: false, check: () => pass });
  assert.is(waiting.canaryWeight, 0);
  assert.match(waiting.message, /waiting/);
  s = await tick(spec({ stepWeight: 10 }), s, { now: 11, revision: '', canaryReady: false, check: () => pass });
  assert.equal([s.phase, s.canaryWeight, s.revision], ['Initialized', 0, '']);
});

test('skipAnalysis promotes at once; stepWeightPromotion shifts in steps; suspend freezes', async () => {
  const skipped = (await run(spec({ stepWeight: 10 }, { skipAnalysis: true }), [pass], 2)).at(-1)!;
  assert.equal([skipped.phase, skipped.canaryWeight], ['Succeeded', 100]);
  const gradual = await run(spec({ stepWeight: 50, maxWeight: 50, stepWeightPromotion: 30 }), [pass], 6);
  assert.equal(gradual.map((s) => s.canaryWeight), [0, 50, 50, 80, 100, 100]);
  const frozen = (await run(spec({ stepWeight: 10 }, { suspend: true }), [pass], 3)).at(-1)!;
  assert.is(frozen.canaryWeight, 0);
});

test('webhooks: confirm-rollout gates the start (Waiting); pre-rollout then rollout run before checks; post-rollout after the end', async () => {
  const calls: string[] = [];
  let approve = false;
  const hooks: TickInput['hooks'] = async (type, phase) => {
    calls.push(`${type}:${phase}`);
    if (type === 'confirm-rollout') return approve;
    if (type === 'rollback') return undefined;
    return true;
  };
  const sp = spec({ stepWeight: 50, maxWeight: 50 });
  let s = initialState(0);
  const at = async (now: number) => (s = await tick(sp, s, { now, revision: 'c1', canaryReady: true, check: () => pass, hooks }));
  await at(1);
  assert.equal([s.phase, s.revision], ['Waiting', '']);
  await at(2);
  assert.is(s.phase, 'Waiting', 'asked again each tick');
  approve = true;
  await at(3);
  assert.equal([s.phase, s.canaryWeight], ['Progressing', 0]);
  for (let t = 4; t < 8; t++) await at(t);
  assert.equal([s.phase, s.canaryWeight], ['Succeeded', 100]);
  assert.equal(calls.filter((c) => !c.startsWith('rollback') && !c.startsWith('confirm-traffic')), [
    'confirm-rollout:Initialized', 'confirm-rollout:Waiting', 'confirm-rollout:Waiting',
    'pre-rollout:Progressing', 'rollout:Progressing', 'confirm-promotion:Progressing', 'post-rollout:Succeeded',
  ]);
});

test('webhooks: a failing rollout hook counts a failed check; a rollback hook answering 2xx rolls back; confirm-promotion holds in WaitingPromotion while checks go on', async () => {
  const failing = await run(spec({ stepWeight: 10, threshold: 2 }), [pass], 5, async (type) => (type === 'rollout' ? false : undefined));
  assert.equal(failing.map((s) => [s.phase, s.canaryWeight, s.failedChecks]), [['Progressing', 0, 0], ['Progressing', 10, 0], ['Progressing', 10, 1], ['Progressing', 10, 2], ['Failed', 0, 2]]);
  let pull = false;
  const rolled = await run(spec({ stepWeight: 10 }), [pass], 3, async (type) => (type === 'rollback' ? pull : undefined));
  pull = true;
  assert.is(rolled.at(-1)!.canaryWeight, 20);
  const after = await tick(spec({ stepWeight: 10 }), rolled.at(-1)!, { now: 9, revision: 'c1', canaryReady: true, check: () => pass, hooks: async (type) => (type === 'rollback' ? pull : undefined) });
  assert.equal([after.phase, after.canaryWeight], ['Failed', 0]);
  let confirm = false;
  let checks = 0;
  const sp = spec({ stepWeight: 50, maxWeight: 50 });
  let s = initialState(0);
  const hooks: TickInput['hooks'] = async (type) => (type === 'confirm-promotion' ? confirm : undefined);
  for (let t = 0; t < 4; t++) s = await tick(sp, s, { now: t, revision: 'c1', canaryReady: true, check: () => (checks++, pass), hooks });
  assert.equal([s.phase, s.canaryWeight], ['WaitingPromotion', 50]);
  const before = checks;
  confirm = true;
  s = await tick(sp, s, { now: 5, revision: 'c1', canaryReady: true, check: () => (checks++, pass), hooks });
  assert.equal([s.phase, checks - before], ['Promoting', 1]);
});

test('webhooks: confirm-traffic-increase holds a step without counting a failure', async () => {
  const held = await run(spec({ stepWeight: 10 }), [pass], 4, async (type) => (type === 'confirm-traffic-increase' ? false : undefined));
  assert.equal(held.map((s) => [s.canaryWeight, s.failedChecks]), [[0, 0], [0, 0], [0, 0], [0, 0]]);
  assert.match(held.at(-1)!.message, /confirm-traffic-increase/);
});

test('progressDeadlineSeconds: a canary whose agents are not ready in time fails (default 600 s)', async () => {
  const sp = spec({ stepWeight: 10 }, { progressDeadlineSeconds: 60 });
  let s = await tick(sp, initialState(0), { now: 1000, revision: 'c1', canaryReady: false, check: () => pass });
  assert.is(s.phase, 'Progressing');
  s = await tick(sp, s, { now: 50_000, revision: 'c1', canaryReady: false, check: () => pass });
  assert.equal([s.phase, s.canaryWeight], ['Progressing', 0]);
  s = await tick(sp, s, { now: 62_000, revision: 'c1', canaryReady: false, check: () => pass });
  assert.equal(s.phase, 'Failed');
  assert.match(s.message, /progressDeadlineSeconds \(60 s\)/);
  const patient = await tick(spec({ stepWeight: 10 }), { ...s, phase: 'Progressing', lastTransitionTime: 0 }, { now: 599_000, revision: 'c1', canaryReady: false, check: () => pass });
  assert.is(patient.phase, 'Progressing');
});

test('readiness thresholds (Flagger\'s canaryReadyThreshold / primaryReadyThreshold): trunc(total × percent / 100) ready, default 100%; none at all is not ready', () => {
  assert.equal([readyEnough(3, 3, undefined), readyEnough(2, 3, undefined), readyEnough(0, 0, undefined)], [true, false, false]);
  assert.equal([readyEnough(1, 3, 50), readyEnough(0, 3, 50), readyEnough(1, 2, 50), readyEnough(0, 1, 50)], [true, false, true, true]);
  assert.equal([readyEnough(0, 4, 0), readyEnough(3, 4, 80), readyEnough(4, 5, 80), readyEnough(3, 5, 80)], [true, true, true, false]);
});

test('a primary that is not ready halts the analysis where it is, counting nothing, and past the progress deadline too', async () => {
  const sp = spec({ stepWeight: 10 }, { progressDeadlineSeconds: 60 });
  let s = await tick(sp, initialState(0), { now: 1000, revision: 'c1', canaryReady: true, check: () => pass });
  s = await tick(sp, s, { now: 2000, revision: 'c1', canaryReady: true, check: () => pass });
  assert.equal([s.phase, s.canaryWeight], ['Progressing', 10]);
  let checks = 0;
  const held = await tick(sp, s, { now: 500_000, revision: 'c1', canaryReady: true, primaryReady: false, check: () => (checks++, fail) });
  assert.equal([held.phase, held.canaryWeight, held.failedChecks, checks], ['Progressing', 10, 0, 0]);
  assert.match(held.message, /primary replicas' agents/);
  const on = await tick(sp, held, { now: 501_000, revision: 'c1', canaryReady: true, primaryReady: true, check: () => pass });
  assert.equal([on.phase, on.canaryWeight], ['Progressing', 20]);
});

test('mirroring: blue/green (iterations, no match) mirrors for its iterations then promotes; a canary release with mirror: a mirrored step before the first weight', async () => {
  const bg = await run(spec({ iterations: 2, mirror: true }), [pass], 5);
  assert.equal(bg.map((s) => [s.phase, s.mirrored, s.iterations, s.canaryWeight]), [
    ['Progressing', false, 0, 0],
    ['Progressing', true, 1, 0],
    ['Progressing', true, 2, 0],
    ['Promoting', false, 2, 0],
    ['Succeeded', false, 2, 100],
  ]);
  const release = await run(spec({ stepWeight: 50, maxWeight: 50, mirror: true }), [pass], 5);
  assert.equal(release.map((s) => [s.phase, s.mirrored, s.canaryWeight]), [
    ['Progressing', false, 0],
    ['Progressing', true, 0],
    ['Progressing', false, 50],
    ['Promoting', false, 50],
    ['Succeeded', false, 100],
  ]);
});

const METRICS = `# TYPE istio_requests_total counter
istio_requests_total{reporter="destination",destination_service_name="api",response_code="200"} 90
istio_requests_total{reporter="destination",destination_service_name="api",response_code="503"} 10
istio_requests_total{reporter="source",destination_service_name="payments",response_code="500"} 1000
istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_name="api",le="5"} 50
istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_name="api",le="10"} 90
istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_name="api",le="25"} 100
istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_name="api",le="+Inf"} 100
`;

test('metrics: destination series only; success rate, p99 by histogram_quantile, deltas across a restart', async () => {
  const s = parseSample(METRICS, 'api');
  assert.equal([s.requests, s.ok], [100, 90]);
  assert.is(successRate(s), 90);
  assert.is(histogramQuantile(0.99, s.buckets), 10 + (15 * 9) / 10);
  assert.is(p99Ms(s), 23);
  const before = { requests: 40, ok: 40, buckets: new Map([[5, 30], [10, 40], [25, 40], [Infinity, 40]]) };
  const d = delta(s, before);
  assert.equal([d.requests, d.ok, d.buckets.get(Infinity)], [60, 50, 60]);
  assert.is(delta(before, s).requests, 40, 'a counter that went down restarted');
  assert.is(histogramQuantile(0.99, new Map([[5, 0], [Infinity, 10]])), 5, 'in +Inf: the highest finite bound');
  const dur = checkMetric({ name: 'request-duration', thresholdRange: { max: 23 } }, s);
  assert.equal([dur.value, dur.ok], [23, true], 'bounds are inclusive');
  assert.is(checkMetric({ name: 'request-duration', threshold: 20 }, s).ok, false, 'deprecated threshold: a maximum for the duration');
  assert.is(checkMetric({ name: 'request-success-rate', threshold: 95 }, s).ok, false, 'and a minimum for the success rate');
});

test.run();
