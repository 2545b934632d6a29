import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampleDecision } from '../../../agent/tracing/sampling.ts';
import { effectiveTracing, sameTracing } from '../../../agent/tracing/tracing-settings.ts';

test('a caller\'s decision is honoured; new traces sampled at the percentage', () => {
  const cases: Array<[boolean | undefined, number, number, boolean]> = [
    [true, 0, 0.5, true],
    [false, 100, 0, false],
    [undefined, 100, 0.999, true],
    [undefined, 0, 0, false],
    [undefined, 10, 0.05, true],
    [undefined, 10, 0.1, false],
    [undefined, 10, 0.5, false],
    [undefined, 0.5, 0.004, true],
  ];
  for (const [incoming, percent, random, want] of cases) assert.is(sampleDecision(incoming, percent, random), want, `${incoming} ${percent} ${random}`);
});

test('settings in force: the snapshot wins in container mode, the flag in process mode', () => {
  const flag = { endpoint: 'http://127.0.0.1:4318/v1/traces', samplingPercent: 100, protocol: 'http/protobuf' as const };
  const snap = { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 10, protocol: 'http/json' as const };
  assert.equal(effectiveTracing(true, flag, snap), snap);
  assert.equal(effectiveTracing(true, flag, undefined), flag);
  assert.equal(effectiveTracing(false, flag, snap), flag);
  assert.equal(effectiveTracing(false, undefined, snap), snap);
  assert.is(effectiveTracing(false, undefined, undefined), undefined);
  assert.ok(sameTracing(undefined, undefined));
  assert.ok(sameTracing(snap, { ...snap }));
  assert.not.ok(sameTracing(snap, flag));
  assert.not.ok(sameTracing(snap, undefined));
  assert.not.ok(sameTracing(snap, { ...snap, protocol: 'http/protobuf' }), 'another encoding is another tracer');
});

test("a snapshot without a protocol (an older control server's) exports binary protobuf", () => {
  const { protocol: _, ...older } = { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 10, protocol: 'http/json' as const };
  assert.equal(effectiveTracing(true, undefined, older), { ...older, protocol: 'http/protobuf' });
});

test.run();
