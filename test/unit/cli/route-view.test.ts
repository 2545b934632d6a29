import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { routeRows } from '../../../cli/route-view.ts';
import { service, snapshot } from '../agent/snapshot-fixture.ts';

test('mesh routes: the RETRIES column names attempts, per-try timeout, back-off and conditions', () => {
  const to = [{ destination: { service: 'api', namespace: 'default' }, weight: 100 }];
  const api = service('api', [8080], []);
  api.http = [
    { name: 'tuned', match: [], route: to, retries: { attempts: 2, perTryTimeoutMs: 500, backoffMs: 100, retryOn: ['5xx', 'reset'] } },
    { name: 'plain', match: [], route: to, retries: { attempts: 3, retryOn: ['connect-failure'] } },
    { name: 'off', match: [], route: to, retries: { attempts: 0, retryOn: [] } },
    { name: 'dflt', match: [], route: to },
  ];
  const rows = routeRows(snapshot(1, 'web', [api]));
  assert.equal(rows.map((r) => r[4]), ['2x per try 500ms backoff 100ms on 5xx,reset', '3x on connect-failure', 'none', 'default']);
});

test.run();
