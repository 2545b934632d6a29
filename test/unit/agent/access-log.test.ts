import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { AccessLog, type AccessLogEntry } from '../../../agent/access-log.ts';
import { accessLogLine } from '../../../agent/access-log-line.ts';
import { waitFor } from '../../support/wait-for.ts';

const base: AccessLogEntry = {
  time: '2026-11-25T22:57:02.653Z',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  request_id: 'req-1',
  method: 'GET',
  path: '/',
  status: 200,
  duration_ms: 1.234,
  source_service: 'web',
  destination_service: 'api',
  upstream: '10.0.0.2:8080',
  attempts: 1,
  response_flags: '-',
  direction: 'outbound',
};

const cases: Array<[string, Partial<AccessLogEntry>]> = [
  ['plain', {}],
  ['nulls', { trace_id: null, request_id: null, upstream: null }],
  ['quotes and backslashes', { path: '/a"b\\c?q="x"', request_id: 'id "quoted"' }],
  ['newline, tab, control characters', { path: '/x\ny\tz\r\u0000\u001f\u007f', trace_id: 'b3\u0001' }],
  ['unicode and emoji', { path: '/ünïcødé/✓/😀', source_service: 'wéb', destination_service: '服务' }],
  ['lone surrogates', { path: '/\ud800x\udfff', request_id: '\udbff' }],
  ['U+2028 and U+2029', { path: '/\u2028\u2029' }],
  ['latin1 header bytes', { request_id: 'caf\u00e9\u00ff' }],
  ['inbound over mTLS, audited', { direction: 'inbound', source_principal: 'spiffe://cluster.local/ns/default/sa/web', audit: true }],
  ['local reply', { status: 0, response_flags: 'UF,URX', attempts: 2, duration_ms: 0 }],
  ['non-finite numbers', { duration_ms: Number.NaN, status: Infinity, attempts: -Infinity }],
  ['big and tiny numbers', { duration_ms: 1e21, attempts: 5e-7 }],
  ['empty strings', { path: '', method: '', source_service: '', response_flags: '' }],
  ['an opaque TCP connection', { trace_id: null, request_id: null, method: null, path: null, status: 0, protocol: 'tcp', bytes_received: 18, bytes_sent: 1_048_576 }],
  ['an opaque TLS connection routed by its server name', { method: null, path: null, status: 0, protocol: 'tcp', bytes_received: 517, bytes_sent: 4096, requested_server_name: 'secure.default' }],
  ['an inbound TCP connection over mTLS', { direction: 'inbound', method: null, path: null, status: 0, protocol: 'tcp', bytes_received: 0, bytes_sent: 0, source_principal: 'spiffe://cluster.local/ns/default/sa/web' }],
];
for (const [name, patch] of cases) {
  test(`accessLogLine is JSON.stringify: ${name}`, () => {
    const e = { ...base, ...patch };
    const line = accessLogLine(e);
    assert.is(line, `${JSON.stringify(e)}\n`);
    assert.equal(JSON.parse(line), JSON.parse(JSON.stringify(e)));
  });
}

test('accessLogLine is JSON.stringify for every duration rounded to the microsecond (0 to 200 ms, then samples up to 1e9 ms), and for others', () => {
  const durations: number[] = [];
  for (let us = 0; us <= 200_000; us++) durations.push(us / 1000);
  for (let i = 0; i < 20_000; i++) durations.push(Math.round(Math.random() * 1e12) / 1000);
  durations.push(-0, 999_999_999.999, 1e9, 1.23456, 0.0004, 2 ** 53, -1.5);
  for (const d of durations) {
    const e = { ...base, duration_ms: d };
    if (accessLogLine(e) !== `${JSON.stringify(e)}\n`) assert.unreachable(`duration ${d}: ${accessLogLine(e)}`);
  }
});

/** A stream that records each write and calls back only when told to. */
class HeldStream extends Writable {
  readonly chunks: string[] = [];
  readonly #held: Array<() => void> = [];

  constructor() {
    super({ highWaterMark: 1 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    this.#held.push(cb);
  }

  release(): void {
    for (const cb of this.#held.splice(0)) cb();
  }

  get held(): number {
    return this.#held.length;
  }
}

test('AccessLog (flushMs 0): one write per event-loop turn, every line JSON', async () => {
  const out = new HeldStream();
  const log = new AccessLog(true, out, 0);
  const path = (i: number) => `/p"${i}\n\u00e9\u2028😀\ud800`;
  for (let i = 0; i < 100; i++) log.write({ ...base, request_id: `r${i}`, path: path(i) });
  assert.is(out.chunks.length, 0, 'nothing written during the turn');
  await new Promise((r) => setImmediate(r));
  assert.is(out.chunks.length, 1);
  const lines = out.chunks.join('').split('\n');
  assert.is(lines.pop(), '');
  assert.equal(lines.map((l) => JSON.parse(l).request_id), Array.from({ length: 100 }, (_, i) => `r${i}`));
  assert.equal(lines.map((l) => JSON.parse(l).path), Array.from({ length: 100 }, (_, i) => path(i)));
  out.release();
  await log.close();
});

test('AccessLog: lines wait for the batch interval, then go in one write', async () => {
  const out = new HeldStream();
  const log = new AccessLog(true, out, 20);
  log.write({ ...base, request_id: 'a' });
  await new Promise((r) => setImmediate(r));
  log.write({ ...base, request_id: 'b' });
  assert.is(out.chunks.length, 0);
  await waitFor(() => out.chunks.length > 0, 5000, 'the batch written');
  assert.is(out.chunks.length, 1);
  assert.equal(out.chunks[0]!.trim().split('\n').map((l) => JSON.parse(l).request_id), ['a', 'b']);
  out.release();
  await log.close();
});

test('AccessLog: a full 64 KiB batch is written at once', async () => {
  const out = new HeldStream();
  const log = new AccessLog(true, out);
  const line = accessLogLine(base).length;
  const n = Math.ceil((64 * 1024) / line);
  for (let i = 0; i < n; i++) log.write(base);
  assert.is(out.chunks.length, 1);
  assert.is(out.chunks[0]!.length, n * line);
  out.release();
  await log.close();
});

test('AccessLog: close() resolves only once the stream took every line (none lost at exit)', async () => {
  const out = new HeldStream();
  const log = new AccessLog(true, out, 0);
  for (let i = 0; i < 3; i++) {
    log.write({ ...base, request_id: `before-${i}` });
    await new Promise((r) => setImmediate(r));
  }
  log.write({ ...base, request_id: 'last' });
  let closed = false;
  const closing = log.close().then(() => (closed = true));
  await new Promise((r) => setImmediate(r));
  assert.is(closed, false, 'the stream has not taken the lines yet');
  assert.ok(out.held > 0);
  while (out.held > 0) {
    out.release();
    await new Promise((r) => setImmediate(r));
  }
  await closing;
  assert.is(closed, true);
  const ids = out.chunks.join('').trim().split('\n').map((l) => JSON.parse(l).request_id);
  assert.equal(ids, ['before-0', 'before-1', 'before-2', 'last']);
});

test('AccessLog: close() with nothing written resolves; disabled writes nothing', async () => {
  const out = new HeldStream();
  await new AccessLog(true, out).close();
  const off = new AccessLog(false, out);
  off.write(base);
  await off.close();
  assert.is(out.chunks.length, 0);
});

test.run();
