import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forwardHeaders } from '../../../agent/forward-headers.ts';
import { responseStatus, upgradeHead, UpgradeReport } from '../../../agent/upgrade-proxy.ts';

const report = () => new UpgradeReport('GET', '/ws', forwardHeaders(['Host', 'api']), { direction: 'outbound', port: 8080 }, '127.0.0.1');

test('upgrade head: request line, filtered headers, extra identity headers, then Connection/Upgrade', () => {
  const text = upgradeHead(
    'GET', '/ws?x=1',
    ['Host', 'api', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k', 'x-dockmesh-source-workload', 'evil', 'X-Request-Id', 'r1'],
    ['x-dockmesh-source-workload', 'web'],
    'websocket',
  );
  assert.is(
    text,
    'GET /ws?x=1 HTTP/1.1\r\nHost: api\r\nSec-WebSocket-Key: k\r\nX-Request-Id: r1\r\nx-dockmesh-source-workload: web\r\n' +
      'Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  );
});

test('upgrade head adds x-request-id when absent', () => {
  assert.match(upgradeHead('GET', '/', ['Host', 'a'], [], 'echo'), /\r\nx-request-id: [0-9a-f-]{36}\r\n/);
});

test('response status: the code of an HTTP/1.x status line, else 0', () => {
  assert.is(responseStatus('HTTP/1.1 101 Switching Protocols'), 101);
  assert.is(responseStatus('HTTP/1.0 400'), 400);
  assert.is(responseStatus('HTTP/1.1 2000 x'), 0);
  assert.is(responseStatus('SSH-2.0-OpenSSH'), 0);
  assert.is(responseStatus(''), 0);
});

test('upgrade report: the status from a response head split across reads; the bytes after it are the body', () => {
  const r = report();
  r.fromUpstream(Buffer.from('HTTP/1.1 10'));
  r.fromUpstream(Buffer.from('1 Switching Protocols\r\nUpgrade: echo\r\n'));
  assert.is(r.status, 0, 'not before the head ends');
  r.fromUpstream(Buffer.from('Connection: Upgrade\r\n\r\nabc'));
  assert.is(r.status, 101);
  assert.is(r.responseBytes, 3);
  r.fromUpstream(Buffer.from('defg'));
  assert.is(r.responseBytes, 7);
});

test('upgrade report: bytes that never make a response head are all body, status 0', () => {
  const r = report();
  r.fromUpstream(Buffer.alloc(20_000, 120));
  assert.is(r.status, 0);
  assert.is(r.responseBytes, 20_000);
});

test.run();
