import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFaultRequest } from '../../../control/faults/fault-request.ts';
import { withFault } from '../../../control/compile/with-fault.ts';

const cases: Array<[string, unknown, string | null]> = [
  ['abort', { service: 'api', abortStatus: 503, percent: 50, forMs: 1000 }, null],
  ['delay', { service: 'api', delayMs: 2000, forMs: 1000 }, null],
  ['no service', { abortStatus: 503, forMs: 1000 }, 'service is required'],
  ['neither', { service: 'api', forMs: 1000 }, 'give delayMs or abortStatus (or both)'],
  ['bad status', { service: 'api', abortStatus: 99, forMs: 1000 }, 'abortStatus must be an HTTP status 200-599'],
  ['bad percent', { service: 'api', abortStatus: 503, percent: 0, forMs: 1000 }, 'percent must be in (0, 100]'],
  ['too long', { service: 'api', abortStatus: 503, forMs: 7_200_000 }, 'forMs must be in (0, 3600000]'],
];
for (const [name, body, error] of cases) {
  test(`fault request: ${name}`, () => {
    const r = parseFaultRequest(body);
    if (error) assert.equal(r, { error });
    else assert.not.ok('error' in r);
  });
}

test('percent defaults to 100', () => {
  const r = parseFaultRequest({ service: 'api', abortStatus: 503, forMs: 10 });
  assert.equal('error' in r ? null : r.fault, { abort: { httpStatus: 503, percent: 100 } });
});

test('a fault replaces every route fault; a service without routes gets a catch-all', () => {
  const fault = { abort: { httpStatus: 503, percent: 100 } };
  assert.equal(withFault({ name: 'api', namespace: 'default' }, fault), [
    { name: 'mesh-fault', match: [], route: [{ destination: { service: 'api', namespace: 'default' }, weight: 100 }], fault },
  ]);
  const routed = withFault(
    { name: 'api', namespace: 'default', http: [{ match: [], route: [], timeoutMs: 5, fault: { delay: { fixedDelayMs: 1, percent: 1 } } }] },
    fault,
  );
  assert.equal(routed[0]!.fault, fault);
  assert.is(routed[0]!.timeoutMs, 5);
});

test.run();
