import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Http1ResponseParser } from '../../../bench/load/http1-response-parser.ts';

const OK64 = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\n${'x'.repeat(64)}`;
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('content-length response in one chunk', () => {
  const p = new Http1ResponseParser();
  assert.equal(p.push(b(OK64)), [{ status: 200, close: false }]);
  assert.ok(p.idle());
});

test('split at every byte, it still completes exactly once', () => {
  const p = new Http1ResponseParser();
  const all: unknown[] = [];
  for (const ch of OK64) all.push(...p.push(b(ch)));
  assert.equal(all, [{ status: 200, close: false }]);
  assert.ok(p.idle());
});

test('two responses in one read', () => {
  const p = new Http1ResponseParser();
  assert.is(p.push(b(OK64 + OK64)).length, 2);
});

test('chunked body with extensions and a trailer', () => {
  const p = new Http1ResponseParser();
  const res = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n';
  assert.equal(p.push(b(res.slice(0, 30))), []);
  assert.equal(p.push(b(res.slice(30))), [{ status: 200, close: false }]);
  assert.ok(p.idle());
});

test('Connection: close and HTTP/1.0 mean close', () => {
  const cases: Array<[string, boolean]> = [
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', false],
  ];
  for (const [res, close] of cases) assert.equal(new Http1ResponseParser().push(b(res)), [{ status: 200, close }], res);
});

test('204 has no body; a 100 Continue is skipped', () => {
  const p = new Http1ResponseParser();
  assert.equal(p.push(b('HTTP/1.1 204 No Content\r\n\r\n')), [{ status: 204, close: false }]);
  assert.equal(p.push(b('HTTP/1.1 100 Continue\r\n\r\n' + OK64)), [{ status: 200, close: false }]);
});

test('a body framed by close completes at end()', () => {
  const p = new Http1ResponseParser();
  assert.equal(p.push(b('HTTP/1.1 502 Bad Gateway\r\n\r\nupstream gone')), []);
  assert.equal(p.end(), [{ status: 502, close: true }]);
});

test('a bad status line throws', () => {
  assert.throws(() => new Http1ResponseParser().push(b('SSH-2.0-OpenSSH\r\n\r\n')), /bad status line/);
});

test.run();
