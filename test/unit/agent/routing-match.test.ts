import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpMatchSnapshot, StringMatchSnapshot } from '../../../wire/types.ts';
import { compileHttpMatch } from '../../../agent/routing/http-match.ts';
import { RequestFacts, parseQuery } from '../../../agent/routing/request-facts.ts';
import { compileStringMatch } from '../../../agent/routing/string-matcher.ts';

const strings: Array<[string, StringMatchSnapshot, boolean, string, boolean]> = [
  ['exact', { exact: '/a' }, false, '/a', true],
  ['exact is whole', { exact: '/a' }, false, '/ab', false],
  ['exact case', { exact: '/A' }, false, '/a', false],
  ['exact ignoring case', { exact: '/A' }, true, '/a', true],
  ['prefix', { prefix: '/api' }, false, '/api/x', true],
  ['prefix no', { prefix: '/api' }, false, '/ap', false],
  ['prefix ignoring case', { prefix: '/API' }, true, '/api/x', true],
  ['empty prefix', { prefix: '' }, false, '', true],
  ['regex is anchored', { regex: '/v[0-9]' }, false, '/v1/x', false],
  ['regex full match', { regex: '/v[0-9]/.*' }, false, '/v1/x', true],
  ['regex alternation anchored as a whole', { regex: 'a|b' }, false, 'ab', false],
  ['regex not affected by ignoreCase', { regex: '/A' }, true, '/a', false],
  ['empty match: any', {}, false, 'x', true],
];
for (const [name, m, ic, value, want] of strings) {
  test(`StringMatch: ${name}`, () => assert.is(compileStringMatch(m, ic)(value), want));
}

test('StringMatch: a bad regex never matches and is reported', () => {
  const problems: string[] = [];
  const m = compileStringMatch({ regex: '(' }, false, (r) => problems.push(r));
  assert.is(m('('), false);
  assert.is(problems.length, 1);
});

const facts = (target: string, headers: Record<string, string> = {}, method = 'GET', port = 8080, authority = 'api:8080') =>
  new RequestFacts(method, target, authority, 'http', port, headers, '10.0.0.1');

const matches: Array<[string, HttpMatchSnapshot, RequestFacts, boolean]> = [
  ['empty block matches all', {}, facts('/'), true],
  ['uri exact ignores query', { uri: { exact: '/a' } }, facts('/a?x=1'), true],
  ['uri regex ignores query', { uri: { regex: '/a' } }, facts('/a?x=1'), true],
  ['uri prefix', { uri: { prefix: '/a' } }, facts('/abc'), true],
  ['ignoreUriCase', { uri: { exact: '/A' }, ignoreUriCase: true }, facts('/a'), true],
  ['method', { method: { exact: 'POST' } }, facts('/', {}, 'GET'), false],
  ['authority includes port', { authority: { exact: 'api:8080' } }, facts('/'), true],
  ['authority prefix', { authority: { prefix: 'api' } }, facts('/'), true],
  ['scheme', { scheme: { exact: 'http' } }, facts('/'), true],
  ['port', { port: 9090 }, facts('/'), false],
  ['header exact', { headers: { 'end-user': { exact: 'jason' } } }, facts('/', { 'end-user': 'jason' }), true],
  ['header exact other value', { headers: { 'end-user': { exact: 'jason' } } }, facts('/', { 'end-user': 'bob' }), false],
  ['header absent', { headers: { 'end-user': { exact: 'jason' } } }, facts('/'), false],
  ['header presence', { headers: { 'x-canary': { present: true } } }, facts('/', { 'x-canary': '' }), true],
  ['header presence absent', { headers: { 'x-canary': { present: true } } }, facts('/'), false],
  ['header regex', { headers: { 'user-agent': { regex: '.*Firefox.*' } } }, facts('/', { 'user-agent': 'Mozilla Firefox/1' }), true],
  ['withoutHeaders present', { withoutHeaders: { 'x-debug': { present: true } } }, facts('/', { 'x-debug': '1' }), false],
  ['withoutHeaders absent', { withoutHeaders: { 'x-debug': { present: true } } }, facts('/'), true],
  ['withoutHeaders other value', { withoutHeaders: { env: { exact: 'prod' } } }, facts('/', { env: 'dev' }), true],
  ['query exact', { queryParams: { v: { exact: '2' } } }, facts('/?v=2&w=1'), true],
  ['query decoded', { queryParams: { n: { exact: 'a b' } } }, facts('/?n=a%20b'), true],
  ['query regex', { queryParams: { v: { regex: '\\d+' } } }, facts('/?v=12'), true],
  ['query presence', { queryParams: { debug: { present: true } } }, facts('/?debug'), true],
  ['query absent', { queryParams: { v: { exact: '2' } } }, facts('/'), false],
  ['fields AND', { uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }, facts('/a', { x: '2' }), false],
];
for (const [name, m, f, want] of matches) {
  test(`HTTPMatchRequest: ${name}`, () => assert.is(compileHttpMatch(m, { labels: {}, namespace: 'default' })!(f), want));
}

test('HTTPMatchRequest: sourceLabels decide at build time', () => {
  assert.is(compileHttpMatch({ sourceLabels: { app: 'web' } }, { labels: { app: 'other' }, namespace: 'default' }), null);
  assert.ok(compileHttpMatch({ sourceLabels: { app: 'web' } }, { labels: { app: 'web', version: 'v1' }, namespace: 'default' }));
});

test('HTTPMatchRequest: sourceNamespace decides at build time, with sourceLabels', () => {
  const self = { labels: { app: 'web' }, namespace: 'shop' };
  assert.is(compileHttpMatch({ sourceNamespace: 'other' }, self), null);
  assert.ok(compileHttpMatch({ sourceNamespace: 'shop' }, self));
  assert.is(compileHttpMatch({ sourceNamespace: 'shop', sourceLabels: { app: 'api' } }, self), null);
  assert.ok(compileHttpMatch({ sourceNamespace: 'shop', sourceLabels: { app: 'web' } }, self));
});

test('parseQuery: first value wins, bad escapes kept', () => {
  const q = parseQuery('/p?a=1&a=2&b=%zz&c&=x#frag');
  assert.equal([...q], [['a', '1'], ['b', '%zz'], ['c', ''], ['', 'x']]);
});

test.run();
