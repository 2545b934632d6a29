import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { failureKind, outlierCodeOf, REPLY } from '../../../agent/dispatch/local-reply.ts';
import { originForm, shadowHost } from '../../../agent/http-proxy.ts';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

const kinds: Array<[string, unknown, string | null, number]> = [
  ['connect refused', err('ECONNREFUSED'), 'connect', 503],
  ['connect timeout', err('UND_ERR_CONNECT_TIMEOUT'), 'connect', 503],
  ['reset', err('ECONNRESET'), 'reset', 503],
  ['other side closed', err('UND_ERR_SOCKET'), 'reset', 503],
  ['h2 refused stream', err('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM'), 'refused', 503],
  ['per-try timeout', REPLY.perTryTimeout, 'timeout', 504],
  ['route timeout is no upstream failure', REPLY.routeTimeout, null, 504],
  ['downstream gone', REPLY.downstreamGone, null, 0],
  ['invalid argument', err('UND_ERR_INVALID_ARG'), null, 0],
  ['no code', new Error('x'), null, 0],
];
for (const [name, e, kind, code] of kinds) {
  test(`failureKind / outlierCodeOf: ${name}`, () => {
    assert.is(failureKind(e), kind);
    assert.is(outlierCodeOf(e), code);
  });
}

const shadows: Array<[string, string]> = [
  ['api', 'api-shadow'],
  ['api:8080', 'api-shadow:8080'],
  ['api.default.svc.cluster.local:80', 'api.default.svc.cluster.local-shadow:80'],
  ['[::1]:80', '[::1]:80-shadow'],
];
for (const [host, want] of shadows) test(`shadowHost ${host}`, () => assert.is(shadowHost(host), want));

test('originForm', () => {
  assert.is(originForm('/a?b'), '/a?b');
  assert.is(originForm('http://api:8080/x?y=1'), '/x?y=1');
  assert.is(originForm('::nonsense'), null);
});

test.run();
