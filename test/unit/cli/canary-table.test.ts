import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canaryTable } from '../../../cli/commands/canary.ts';
import type { CanaryStatusView } from '../../../wire/types.ts';

const base: CanaryStatusView = {
  name: 'api', namespace: 'default', target: 'api', phase: 'Progressing', canaryWeight: 30, primaryWeight: 70, maxWeight: 50, abTesting: false,
  mirrored: false, failedChecks: 1, threshold: 5, iterations: 0, lastTransitionTime: '2026-11-27T00:00:00.000Z', message: 'halt advancement: request-success-rate 97.50 < 99',
  primary: { subset: 'api-primary', replicas: 1 }, canary: { subset: 'api-canary', replicas: 2, containers: ['p-api-v2-1', 'p-api-v2-2'] },
  checks: [{ metric: 'request-success-rate', value: 97.5, min: 99, ok: false }, { metric: 'request-duration', value: 120, max: 500, ok: true }],
};

test('mesh canary: weights, failed checks of threshold, replicas, the last checks and the message', () => {
  const out = canaryTable([base, { ...base, name: 'web', target: 'web', phase: 'Initialized', abTesting: true, checks: [{ metric: 'request-success-rate', ok: false, min: 99 }] }]);
  const [header, api, web] = out.trimEnd().split('\n');
  assert.match(header!, /^CANARY\s+TARGET\s+PHASE\s+WEIGHT\s+FAILED CHECKS\s+REPLICAS\s+LAST CHECK\s+MESSAGE$/);
  assert.match(api!, /api-primary 70%, api-canary 30%/);
  assert.match(api!, /1\/5/);
  assert.match(api!, /1 primary, 2 canary/);
  assert.match(api!, /request-success-rate 97\.50 \(min 99\) FAIL; request-duration 120 \(max 500\) ok/);
  assert.match(api!, /halt advancement/);
  assert.match(web!, /A\/B \(matching requests\)/);
  assert.match(web!, /request-success-rate no data \(min 99\) FAIL/);
});

test('mesh canary: a run with session affinity says its clients are sticky, and by which cookie', () => {
  const out = canaryTable([{ ...base, sessionAffinity: { canaryCookie: 'flagger-cookie=LpsIaLdoNZ' } }, { ...base, name: 'web', sessionAffinity: {} }]);
  const [, api, web] = out.trimEnd().split('\n');
  assert.match(api!, /api-canary 30%, sticky \(cookie flagger-cookie\)/);
  assert.not.match(web!, /sticky/);
});

test.run();
