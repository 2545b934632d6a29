import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isConnectError, isRetriable } from '../../../agent/http-proxy.ts';

const err = (code: string) => Object.assign(new Error(code), { code });

const cases: Array<[string, string, string, boolean, boolean, boolean]> = [
  ['connect refused, GET', 'ECONNREFUSED', 'GET', false, false, true],
  ['connect timeout, POST with unsent body', 'UND_ERR_CONNECT_TIMEOUT', 'POST', false, true, true],
  ['connect refused after body bytes left', 'ECONNREFUSED', 'POST', true, true, false],
  ['reset before response, GET', 'UND_ERR_SOCKET', 'GET', false, false, true],
  ['reset before response, HEAD', 'ECONNRESET', 'HEAD', false, false, true],
  ['reset, POST without body', 'UND_ERR_SOCKET', 'POST', false, false, false],
  ['reset, GET with body', 'ECONNRESET', 'GET', false, true, false],
  ['headers timeout', 'UND_ERR_HEADERS_TIMEOUT', 'GET', false, false, false],
];
for (const [name, code, method, started, hasBody, want] of cases) {
  test(`isRetriable: ${name}`, () => assert.is(isRetriable(err(code), method, started, hasBody), want));
}

test('isConnectError', () => {
  assert.ok(isConnectError(err('ECONNREFUSED')));
  assert.not.ok(isConnectError(err('ECONNRESET')));
  assert.not.ok(isConnectError(null));
  assert.not.ok(isConnectError(new Error('x')));
});

test.run();
