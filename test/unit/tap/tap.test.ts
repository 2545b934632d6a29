import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Tap, tapAuthorized, tapKeyHash, MAX_TAP_LISTENERS } from '../../../agent/tap.ts';
import type { AccessLogEntry } from '../../../agent/access-log.ts';
import { parseTapQuery, tapMatches, type TapQuery } from '../../../control/tap/tap-fanin.ts';
import { TopTable, tapLine, type TapEventView } from '../../../cli/commands/tap.ts';

const entry: AccessLogEntry = {
  time: '2026-11-27T10:00:00.123Z', trace_id: null, request_id: 'r1', method: 'GET', path: '/orders/1', status: 200, duration_ms: 1.5,
  source_service: 'web', destination_service: 'api', upstream: '10.0.0.3:8080', attempts: 1, response_flags: '-', direction: 'outbound',
};

class FakeRes extends EventEmitter {
  writableLength = 0;
  lines: string[] = [];
  write(s: string): boolean {
    this.lines.push(s);
    return true;
  }
  end(): void {
    this.emit('close');
  }
}

test('Tap: active only while someone listens; events as access log lines; a full queue drops; a cap on listeners', () => {
  const tap = new Tap();
  assert.is(tap.active, false);
  const a = new FakeRes();
  assert.ok(tap.listen(a as unknown as ServerResponse));
  assert.is(tap.active, true);
  tap.publish(entry);
  assert.equal(JSON.parse(a.lines[0]!), entry);
  a.writableLength = 2 * 1024 * 1024;
  tap.publish(entry);
  assert.is(a.lines.length, 1);
  assert.is(tap.dropped, 1);
  a.emit('close');
  assert.is(tap.active, false);
  const many = Array.from({ length: MAX_TAP_LISTENERS }, () => new FakeRes());
  for (const r of many) assert.ok(tap.listen(r as unknown as ServerResponse));
  assert.is(tap.listen(new FakeRes() as unknown as ServerResponse), false);
  tap.close();
  assert.is(tap.active, false);
});

test('tapAuthorized: the key whose hash the snapshot carries, as a bearer token; nothing without a hash', () => {
  const hash = tapKeyHash('k3y');
  assert.ok(tapAuthorized('Bearer k3y', hash));
  assert.not.ok(tapAuthorized('Bearer other', hash));
  assert.not.ok(tapAuthorized('k3y', hash));
  assert.not.ok(tapAuthorized(undefined, hash));
  assert.not.ok(tapAuthorized('Bearer k3y', undefined));
});

test('parseTapQuery and tapMatches', () => {
  assert.equal(parseTapQuery({}), { error: 'service is required' });
  assert.equal(parseTapQuery({ service: 'api', max: '0' }), { error: 'max must be an integer between 1 and 1000000' });
  const q = parseTapQuery({ service: 'api', method: 'post', path: '/pay', to: 'payments', durationMs: '500' }) as TapQuery;
  assert.equal(q, { service: 'api', maxEvents: 10_000, durationMs: 500, to: 'payments', method: 'POST', path: '/pay' });
  assert.ok(tapMatches({ destination_service: 'payments', method: 'POST', path: '/pay/1' }, q));
  assert.not.ok(tapMatches({ destination_service: 'payments', method: 'GET', path: '/pay/1' }, q));
  assert.not.ok(tapMatches({ destination_service: 'payments', method: 'POST', path: null }, q));
  assert.not.ok(tapMatches({ destination_service: 'inventory', method: 'POST', path: '/pay/1' }, q));
});

const ev = (o: Partial<TapEventView>): TapEventView => ({ ...(entry as unknown as TapEventView), agent: 'p-web-1', ...o });

test('tapLine: requests and TCP connections', () => {
  assert.is(tapLine(ev({})), '10:00:00.123  p-web-1  outbound GET /orders/1  200  1.5 ms  web → api  upstream 10.0.0.3:8080');
  assert.is(
    tapLine(ev({ protocol: 'tcp', method: null, path: null, status: 0, bytes_received: 10, bytes_sent: 20, response_flags: 'UF', direction: 'inbound', source_principal: 'spiffe://x' })),
    '10:00:00.123  p-web-1  inbound  tcp  web → api  1.5 ms  10 B in, 20 B out  upstream 10.0.0.3:8080  flags UF  mtls',
  );
});

test('TopTable: by source, destination, method and path; best, worst, last, success rate; busiest first', () => {
  const t = new TopTable();
  t.add(ev({ duration_ms: 3 }));
  t.add(ev({ duration_ms: 1, status: 503 }));
  t.add(ev({ duration_ms: 2 }));
  t.add(ev({ path: '/other', duration_ms: 9 }));
  t.add(ev({ protocol: 'tcp' }));
  const rows = t.rows();
  assert.equal(rows.map((r) => [r.path, r.count, r.best, r.worst, r.last]), [['/orders/1', 3, 1, 3, 2], ['/other', 1, 9, 9, 9]]);
  assert.is(Math.round(rows[0]!.successRate * 1000), 667);
  assert.match(t.text(), /SOURCE\s+DESTINATION\s+METHOD\s+PATH\s+COUNT\s+BEST\s+WORST\s+LAST\s+SUCCESS RATE/);
  assert.match(t.text(), /66\.7%/);
});

test.run();
