import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalRequest } from '../../../agent/canonical/canonical-request.ts';

const ok: Array<[string, string | undefined, { target: string; path: string; host: string }]> = [
  ['/a/./b/../c?x=1', 'API.Default.:8080', { target: '/a/c?x=1', path: '/a/c', host: 'api.default' }],
  ['/a//b', 'api', { target: '/a/b', path: '/a/b', host: 'api' }],
  ['http://api:8080/x/%2e%2e/y', 'api:8080', { target: '/y', path: '/y', host: 'api' }],
  ['/p%2Fq', undefined, { target: '/p%2Fq', path: '/p%2Fq', host: '' }],
];
for (const [url, host, want] of ok) {
  test(`canonical: ${url} (Host ${host})`, () => {
    const raw = host === undefined ? [] : ['Host', host];
    const c = canonicalRequest(raw, 'GET', url, host);
    assert.is(c.reject, undefined);
    assert.equal({ target: c.target, path: c.path, host: c.host }, want);
  });
}

const refused: Array<[string, string[], string, RegExp]> = [
  ['content-length with transfer-encoding', ['Host', 'a', 'Content-Length', '1', 'Transfer-Encoding', 'chunked'], '/', /content-length with transfer-encoding/],
  ['absolute-form naming another host', ['Host', 'api'], 'http://shop/x', /absolute-form target disagrees with Host/],
  ['fragment', ['Host', 'api'], '/a#b', /fragment/],
  ['%00', ['Host', 'api'], '/a%00', /%00/],
  ['asterisk-form', ['Host', 'api'], '*', /bad request target/],
  ['relative path', ['Host', 'api'], 'x/y', /bad request target/],
];
for (const [name, raw, url, why] of refused) {
  test(`canonical refuses: ${name}`, () => {
    const c = canonicalRequest(raw, 'GET', url, 'api');
    assert.match(c.reject ?? '', why);
    assert.is(c.target, '');
  });
}

test('canonical refuses a lower-case method', () => {
  assert.match(canonicalRequest(['Host', 'api'], 'get', '/', 'api').reject ?? '', /method/);
});

test.run();
