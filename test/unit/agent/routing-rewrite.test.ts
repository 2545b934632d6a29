import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpMatchSnapshot, HttpRouteSnapshot } from '../../../wire/types.ts';
import { HeaderOperations } from '../../../agent/routing/header-operations.ts';
import { compileUriRewrite, prefixRedirectPath } from '../../../agent/routing/uri-rewrite.ts';

const rewrites: Array<[string, HttpRouteSnapshot['rewrite'], HttpMatchSnapshot | undefined, string, string]> = [
  ['prefix replaced, rest and query kept', { uri: '/v2' }, { uri: { prefix: '/v1' } }, '/v1/users?x=1', '/v2/users?x=1'],
  ['prefix to root', { uri: '/' }, { uri: { prefix: '/api/' } }, '/api/users', '/users'],
  ['prefix case-insensitive match', { uri: '/new' }, { uri: { prefix: '/OLD' }, ignoreUriCase: true }, '/old/x', '/new/x'],
  ['exact match: whole path, query kept', { uri: '/b' }, { uri: { exact: '/a' } }, '/a?q=1', '/b?q=1'],
  ['no uri match: whole path', { uri: '/b' }, undefined, '/anything', '/b'],
  ['regex rewrite with groups', { uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '$2/instance/$1' } }, undefined, '/service/foo/v1/api?x', '/v1/api/instance/foo?x'],
  ['regex rewrite replaces every match', { uriRegexRewrite: { match: 'a', rewrite: 'b' } }, undefined, '/aaa', '/bbb'],
];
for (const [name, rw, matched, input, want] of rewrites) {
  test(`rewrite: ${name}`, () => assert.is(compileUriRewrite(rw)!(input, matched), want));
}

// Envoy's RedirectAction prefix_rewrite on the route match Istio emits for each kind of uri match.
const prefixRedirects: Array<[string, string, HttpMatchSnapshot | undefined, string, string]> = [
  ['prefix match: the matched prefix replaced, rest and query kept', '/new/', { uri: { prefix: '/old/' } }, '/old/a/b?x=1', '/new/a/b?x=1'],
  ['prefix match, case-insensitive', '/new', { uri: { prefix: '/OLD' }, ignoreUriCase: true }, '/old/a', '/new/a'],
  ['exact match (Envoy path): the whole path, query kept', '/b', { uri: { exact: '/a' } }, '/a?q=1', '/b?q=1'],
  ['regex match: the whole path, query kept', '/b', { uri: { regex: '/a.*' } }, '/a/x?q', '/b?q'],
  ['no uri match (Istio\'s prefix "/"): the leading slash replaced', '/v2/', undefined, '/items?q=1', '/v2/items?q=1'],
  ['no uri match, a value without a slash keeps the path absolute', 'v2', { headers: { a: { exact: 'b' } } }, '/items', '/v2items'],
];
for (const [name, value, matched, input, want] of prefixRedirects) {
  test(`redirect prefixRewrite: ${name}`, () => assert.is(prefixRedirectPath(input, matched, value), want));
}

test('rewrite: authority only compiles to no uri rewriter', () => {
  assert.is(compileUriRewrite({ authority: 'x' }), undefined);
  assert.is(compileUriRewrite(undefined), undefined);
});

test('header operations: remove, then set, then add; names case-insensitive', () => {
  const ops = new HeaderOperations({ set: { 'X-Env': 'prod' }, add: { 'x-tag': 'b' }, remove: ['X-Debug'] });
  assert.equal(ops.applyFlat(['Host', 'api', 'x-env', 'dev', 'X-DEBUG', '1', 'x-tag', 'a']), ['Host', 'api', 'x-tag', 'a', 'x-env', 'prod', 'x-tag', 'b']);
  const res: Record<string, string | string[] | undefined> = { 'x-env': 'dev', 'x-debug': '1', 'x-tag': 'a' };
  ops.applyObject(res);
  assert.equal(res, { 'x-env': 'prod', 'x-tag': ['a', 'b'] });
  assert.is(HeaderOperations.of({}), undefined);
});

test('header operations on flat response headers keep repeated values as arrays', () => {
  const ops = new HeaderOperations({ set: { 'X-Env': 'prod' }, add: { 'set-cookie': 'c=3' }, remove: ['server'] });
  assert.equal(ops.applyFlat(['server', 'x', 'set-cookie', ['a=1', 'b=2'], 'x-env', 'dev']), ['set-cookie', ['a=1', 'b=2'], 'x-env', 'prod', 'set-cookie', 'c=3']);
});

test.run();
