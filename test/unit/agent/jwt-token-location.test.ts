import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractJwt, type ExtractedJwt, type JwtLocations, type JwtRequestHeaders } from '../../../agent/authn/jwt-token-location.ts';

const T = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln';
const OTHER = 'aaa.bbb.ccc';

const cases: Array<[string, JwtRequestHeaders, string, JwtLocations, ExtractedJwt | undefined]> = [
  ['default: Authorization Bearer', { authorization: `Bearer ${T}` }, '', {}, { token: T, from: { header: 'authorization' } }],
  ['default: spaces after the prefix are skipped', { authorization: `Bearer    ${T}` }, '', {}, { token: T, from: { header: 'authorization' } }],
  ['default: the prefix is case-sensitive', { authorization: `bearer ${T}` }, '', {}, undefined],
  ['default: another scheme is no token', { authorization: 'Basic dXNlcjpwYXNz' }, '', {}, undefined],
  ['default: prefix found inside the value, as Envoy does', { authorization: `Foo Bearer ${T}` }, '', {}, { token: T, from: { header: 'authorization' } }],
  ['default: prefix with nothing after it is the whole value', { authorization: 'Bearer ' }, '', {}, { token: 'Bearer ', from: { header: 'authorization' } }],
  ['default: access_token param, URL-decoded', {}, `a=1&access_token=${T.replace('.', '%2E')}&b=2`, {}, { token: T, from: { param: 'access_token' } }],
  ['default: + is not a space in the param', {}, 'access_token=a+b', {}, { token: 'a+b', from: { param: 'access_token' } }],
  ['default: first of repeated params', {}, `access_token=${T}&access_token=${OTHER}`, {}, { token: T, from: { param: 'access_token' } }],
  ['default: header before param', { authorization: `Bearer ${T}` }, `access_token=${OTHER}`, {}, { token: T, from: { header: 'authorization' } }],
  ['default: a cookie is not a default location', { cookie: `access_token=${T}` }, '', {}, undefined],
  ['default: nothing', {}, '', {}, undefined],
  ['custom header without prefix', { 'x-jwt': T }, '', { fromHeaders: [{ name: 'X-JWT' }] }, { token: T, from: { header: 'x-jwt' } }],
  ['custom header with prefix', { 'x-auth': `Token ${T}` }, '', { fromHeaders: [{ name: 'x-auth', prefix: 'Token ' }] }, { token: T, from: { header: 'x-auth' } }],
  ['custom header: prefix missing', { 'x-auth': T }, '', { fromHeaders: [{ name: 'x-auth', prefix: 'Token ' }] }, undefined],
  ['custom header replaces the defaults', { authorization: `Bearer ${T}` }, `access_token=${T}`, { fromHeaders: [{ name: 'x-jwt' }] }, undefined],
  ['multi-valued header: first with the prefix', { 'x-auth': ['junk', `Token ${T}`] }, '', { fromHeaders: [{ name: 'x-auth', prefix: 'Token ' }] }, { token: T, from: { header: 'x-auth' } }],
  ['custom param', {}, `jwt=${T}`, { fromParams: ['jwt'] }, { token: T, from: { param: 'jwt' } }],
  ['custom param present without value', {}, 'jwt', { fromParams: ['jwt'] }, { token: '', from: { param: 'jwt' } }],
  ['custom param replaces access_token', {}, `access_token=${T}`, { fromParams: ['jwt'] }, undefined],
  ['cookie', { cookie: `theme=dark; session=${T}; x=1` }, '', { fromCookies: ['session'] }, { token: T, from: { cookie: 'session' } }],
  ['quoted cookie', { cookie: `session="${T}"` }, '', { fromCookies: ['session'] }, { token: T, from: { cookie: 'session' } }],
  ['first cookie of a name wins, across cookie headers', { cookie: ['a=1', `session=${T}; session=${OTHER}`] }, '', { fromCookies: ['session'] }, { token: T, from: { cookie: 'session' } }],
  ['cookie missing', { cookie: 'theme=dark' }, '', { fromCookies: ['session'] }, undefined],
  ['order: header, then param, then cookie', { 'x-jwt': T, cookie: `c=${OTHER}` }, `p=${OTHER}`, { fromCookies: ['c'], fromParams: ['p'], fromHeaders: [{ name: 'x-jwt' }] }, { token: T, from: { header: 'x-jwt' } }],
  ['order: param before cookie', { cookie: `c=${OTHER}` }, `p=${T}`, { fromCookies: ['c'], fromParams: ['p'] }, { token: T, from: { param: 'p' } }],
  ['order: rule order within headers', { 'x-b': OTHER, 'x-a': T }, '', { fromHeaders: [{ name: 'x-a' }, { name: 'x-b' }] }, { token: T, from: { header: 'x-a' } }],
  ['all configured, none present', { authorization: `Bearer ${T}` }, '', { fromHeaders: [{ name: 'x-a' }], fromParams: ['p'], fromCookies: ['c'] }, undefined],
  ['empty lists mean the defaults', { authorization: `Bearer ${T}` }, '', { fromHeaders: [], fromParams: [], fromCookies: [] }, { token: T, from: { header: 'authorization' } }],
];
for (const [name, headers, query, locations, want] of cases) {
  test(name, () => assert.equal(extractJwt(headers, query, locations), want));
}

test.run();
