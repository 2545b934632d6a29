import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestHead } from '../../../agent/h1/request-head.ts';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

test('request line and host first (the origin host when the request has none), then the other headers', () => {
  const h = requestHead('GET', '/a?b=1', ['accept', '*/*', 'x-request-id', 'abc'], 'up:8080');
  assert.is(h.start, 'GET /a?b=1 HTTP/1.1\r\nhost: up:8080\r\n');
  assert.is(h.lines, 'accept: */*\r\nx-request-id: abc\r\n');
  assert.is(h.contentLength, null);
  assert.is(h.close, false);
});

test("the request's own host wins, whatever its case; content-length is taken out for the body writer", () => {
  const h = requestHead('POST', '/', ['Host', 'api.example:80', 'Content-Length', '12', 'content-type', 'text/plain'], 'up:8080');
  assert.is(h.start, 'POST / HTTP/1.1\r\nhost: api.example:80\r\n');
  assert.is(h.lines, 'content-type: text/plain\r\n');
  assert.is(h.contentLength, 12);
});

test('connection: close (in any token list) asks to close; the connection header itself is not copied', () => {
  const h = requestHead('GET', '/', ['Connection', 'foo, Close'], 'up');
  assert.is(h.close, true);
  assert.is(h.lines, '');
  assert.is(requestHead('GET', '/', [], 'up', true).close, true);
});

test("undici's refusals: duplicate host or content-length, a bad content-length, framing headers, expect", () => {
  assert.is(code(() => requestHead('GET', '/', ['host', 'a', 'Host', 'b'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['content-length', '1', 'content-length', '1'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['content-length', '-1'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['content-length', '1e3'], 'up')), 'UND_ERR_INVALID_ARG');
  for (const name of ['transfer-encoding', 'Keep-Alive', 'upgrade']) assert.is(code(() => requestHead('GET', '/', [name, 'x'], 'up')), 'UND_ERR_INVALID_ARG', name);
  assert.is(code(() => requestHead('POST', '/', ['Expect', '100-continue'], 'up')), 'UND_ERR_NOT_SUPPORTED');
  assert.is(code(() => requestHead('GET', '/', ['connection', 'close x'], 'up')), 'UND_ERR_INVALID_ARG');
});

test('no CR or LF can get into the head: in a value, a name, the path or the host', () => {
  assert.is(code(() => requestHead('GET', '/', ['x-a', 'v\r\nx-injected: 1'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['x-a', 'v\nx'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['x-a', 'v\rx'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['x-a\r\nx-b', 'v'], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/ HTTP/1.1\r\nx: y', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/', ['host', 'a\r\nx: y'], 'up')), 'UND_ERR_INVALID_ARG');
});

test('values: tab and Latin-1 are fine; other controls, DEL and characters beyond Latin-1 are not', () => {
  assert.is(requestHead('GET', '/', ['x-a', 'a\tb \u00e9\u00ff'], 'up').lines, 'x-a: a\tb \u00e9\u00ff\r\n');
  for (const v of ['a\u0000b', 'a\u0001', 'a\u007f', 'a\u0100', '\u2028']) assert.is(code(() => requestHead('GET', '/', ['x-a', v], 'up')), 'UND_ERR_INVALID_ARG', JSON.stringify(v));
});

test('the method must be a token; the path must start with a slash (or be *) and hold no space or control', () => {
  assert.is(code(() => requestHead('GE T', '/', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('', '/', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', 'relative', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/a b', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/a\u0000', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(code(() => requestHead('GET', '/\u0100', [], 'up')), 'UND_ERR_INVALID_ARG');
  assert.is(requestHead('OPTIONS', '*', [], 'up').start, 'OPTIONS * HTTP/1.1\r\nhost: up\r\n');
  assert.is(requestHead('GET', '/%20?q=\u00e9', [], 'up').start, 'GET /%20?q=\u00e9 HTTP/1.1\r\nhost: up\r\n');
});

test('names must be tokens', () => {
  for (const n of ['', 'a b', 'a:b', 'a(b)', '\u00e9']) assert.is(code(() => requestHead('GET', '/', [n, 'v'], 'up')), 'UND_ERR_INVALID_ARG', JSON.stringify(n));
  assert.is(requestHead('GET', '/', ["!#$%&'*+-.^_`|~09AZaz", 'v'], 'up').lines, "!#$%&'*+-.^_`|~09AZaz: v\r\n");
});

test.run();
