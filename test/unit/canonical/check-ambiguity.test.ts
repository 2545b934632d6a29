import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAmbiguity } from '../../../agent/canonical/check-ambiguity.ts';
import { normalizeHost } from '../../../agent/canonical/normalize-host.ts';

type Case = [name: string, raw: string[], method: string, url: string, want: string[]];
const H = ['Host', 'api:8080'];
const cases: Case[] = [
  ['plain GET', H, 'GET', '/x', []],
  ['POST with one content-length', [...H, 'Content-Length', '5'], 'POST', '/x', []],
  ['chunked POST', [...H, 'Transfer-Encoding', 'chunked'], 'POST', '/x', []],
  ['CL and TE', [...H, 'Content-Length', '5', 'Transfer-Encoding', 'chunked'], 'POST', '/x', ['content-length with transfer-encoding']],
  ['two CL headers, same value', [...H, 'Content-Length', '5', 'content-length', '5'], 'POST', '/x', ['duplicate content-length']],
  ['CL list in one header', [...H, 'Content-Length', '5, 5'], 'POST', '/x', ['duplicate content-length']],
  ['CL not a number', [...H, 'Content-Length', '+5'], 'POST', '/x', ['invalid content-length']],
  ['two TE headers', [...H, 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'], 'POST', '/x', ['duplicate transfer-encoding']],
  ['TE gzip alone', [...H, 'Transfer-Encoding', 'gzip'], 'POST', '/x', ['transfer-encoding not ending in chunked']],
  ['TE gzip, chunked', [...H, 'Transfer-Encoding', 'gzip, chunked'], 'POST', '/x', []],
  ['two Host headers', [...H, 'Host', 'admin'], 'GET', '/x', ['duplicate host']],
  ['a folded value reaching the request', [...H, 'X-A', 'a\r\n b'], 'GET', '/x', ['obs-fold or bare CR/LF in a header']],
  ['a bare LF in a value', [...H, 'X-A', 'a\nb'], 'GET', '/x', ['obs-fold or bare CR/LF in a header']],
  ['NUL in a header value', [...H, 'X-A', 'a\0b'], 'GET', '/x', ['NUL in the request']],
  ['NUL in the target', H, 'GET', '/x\0', ['NUL in the request']],
  ['lower-case method', H, 'get', '/x', ['method not in upper case']],
  ['mixed-case method', H, 'Get', '/x', ['method not in upper case']],
  ['absolute-form agreeing with Host', H, 'GET', 'http://api:8080/x', []],
  ['absolute-form agreeing (case, default port)', ['Host', 'API'], 'GET', 'http://api:80/x', []],
  ['absolute-form naming another host', H, 'GET', 'http://admin:8080/x', ['absolute-form target disagrees with Host']],
  ['absolute-form with another port', H, 'GET', 'http://api:9090/x', ['absolute-form target disagrees with Host']],
  ['absolute-form without Host', [], 'GET', 'http://api/x', ['absolute-form target disagrees with Host']],
  ['absolute-form with userinfo', H, 'GET', 'http://u:p@api:8080/x', ['invalid absolute-form target']],
];
for (const [name, raw, method, url, want] of cases) {
  test(`checkAmbiguity: ${name}`, () => assert.equal(checkAmbiguity(raw, method, url), want));
}

const hosts: Array<[string, string]> = [
  ['API.Default.SVC.cluster.local.', 'api.default.svc.cluster.local'],
  ['Api:8080', 'api'],
  ['ADMIN.example.com.:443', 'admin.example.com'],
  ['[::1]:80', '::1'],
];
for (const [h, want] of hosts) test(`normalizeHost(${h})`, () => assert.is(normalizeHost(h), want));

test.run();
