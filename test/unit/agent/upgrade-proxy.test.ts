import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgradeHead } from '../../../agent/upgrade-proxy.ts';

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

test.run();
