import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOADS } from '../../../bench/loads.ts';
import { generatorCpus, pauseAfterRun, planPinning, planRuns } from '../../../bench/plan.ts';

test('planRuns: every round runs every load on every target, rotating the first target', () => {
  const runs = planRuns(3, ['sat', 'one'], ['A', 'B', 'C']);
  assert.is(runs.length, 18);
  const order = (round: number, load: string): string =>
    runs.filter((r) => r.round === round && r.load === load).map((r) => r.target).join('');
  assert.is(order(0, 'sat'), 'ABC');
  assert.is(order(1, 'sat'), 'BCA');
  assert.is(order(2, 'one'), 'CAB');
  assert.equal(runs.slice(0, 4).map((r) => `${r.round}${r.load}${r.target}`), ['0satA', '0satB', '0satC', '0oneA']);
});

test('planRuns: nothing to do', () => {
  assert.equal(planRuns(0, ['x'], ['A']), []);
  assert.equal(planRuns(2, ['x'], []), []);
});

test('planPinning by core count', () => {
  const cases: Array<[number, boolean, string | undefined, string | undefined, string | undefined, number]> = [
    [1, true, undefined, undefined, undefined, 1],
    [2, false, undefined, undefined, undefined, 1],
    [2, true, '0', '1', '1', 1],
    [3, true, '0', '1', '2', 1],
    [8, true, '0', '1', '2-7', 2],
  ];
  for (const [cores, can, proxy, upstream, load, threads] of cases) {
    const p = planPinning(cores, can);
    assert.equal([p.proxy, p.upstream, p.load, p.loadThreads], [proxy, upstream, load, threads], `${cores} cores, pin ${can}`);
  }
});

test('generatorCpus: the one-connection load runs wrk on the proxy core, the others on the load cores', () => {
  const pinned = planPinning(2, true);
  const byLoad = Object.fromEntries(LOADS.map((l) => [l.id, generatorCpus(l, pinned)]));
  assert.equal(byLoad, { saturation: '1', 'rate-1k': '1', single: '0', 'new-conn': '1' });
  assert.is(generatorCpus({ generator: 'proxy-core' }, planPinning(8, true)), '0');
  assert.is(generatorCpus({ generator: 'proxy-core' }, planPinning(2, false)), undefined);
  assert.is(generatorCpus({}, planPinning(8, true)), '2-7');
});

test('a full run pauses 200 ms after a keep-alive run and 500 ms after a new-connection run; a quick run less', () => {
  const newConn = LOADS.find((l) => l.id === 'new-conn')!;
  const saturation = LOADS.find((l) => l.id === 'saturation')!;
  assert.is(pauseAfterRun(saturation, false), 200);
  assert.is(pauseAfterRun(newConn, false), 500);
  assert.ok(pauseAfterRun(saturation, true) < 200);
  assert.ok(pauseAfterRun(newConn, true) < 500);
  assert.ok(pauseAfterRun(newConn, true) >= pauseAfterRun(saturation, true), 'closed connections get at least as long');
});

test.run();
