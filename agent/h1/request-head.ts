import { H1Error, invalidArgument } from './h1-errors.ts';

/** The head of an HTTP/1.1 request, as the client writes it (pure). */
export interface RequestHead {
  /** The request line and the host line. */
  start: string;
  /** The other header lines (not host, connection or content-length), each ended by CRLF. */
  lines: string;
  /** The request's `content-length` header, when it had one. */
  contentLength: number | null;
  /** The request asked for `connection: close`. */
  close: boolean;
}

/** tchar (RFC 9110): 1 for the bytes a header name or method may hold. */
const TOKEN = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[ch.charCodeAt(0)] = 1;
const DIGITS = /^\d+$/;

function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] !== 1) return false;
  }
  return true;
}

/** undici's isValidHeaderValue: tab, visible ASCII, space and Latin-1; no CR, LF, NUL or other control. */
function isValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 0x09 : c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** undici's request path check: no space, control or character beyond Latin-1 (U+0021 to U+00FF). */
function isPath(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0xff) return false;
  }
  return true;
}

/**
 * The head for `method path` with flat `headers` (name, value, ...), undici's rules: `host` (from
 * `defaultHost` when absent) comes first, then the connection line the writer adds (close when
 * `reset`, or when the request asks for it: `close`); `content-length` is taken out (the body writer
 * frames the body); a second `host` or `content-length`, a framing header the client owns
 * (`transfer-encoding`, `keep-alive`, `upgrade`), `expect`, a method or header name that is not a
 * token, a value with a control character (CR, LF and NUL included) or a character beyond Latin-1,
 * or a path that does not start with `/` or holds a space or control, throws an {@link H1Error}
 * before anything is written.
 */
export function requestHead(method: string, path: string, headers: readonly string[], defaultHost: string, reset = false): RequestHead {
  if (!isToken(method)) throw invalidArgument('invalid request method');
  if (path.charCodeAt(0) !== 0x2f && path !== '*') throw invalidArgument('path must start with a slash');
  if (!isPath(path)) throw invalidArgument('invalid request path');
  let host: string | null = null;
  let contentLength: number | null = null;
  let close = reset;
  let lines = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!isToken(name)) throw invalidArgument('invalid header key');
    if (!isValue(value)) throw invalidArgument(`invalid ${name} header`);
    const special = specialName(name);
    if (special === '') {
      lines += `${name}: ${value}\r\n`;
    } else if (special === 'host') {
      if (host !== null) throw invalidArgument('duplicate host header');
      host = value;
    } else if (special === 'content-length') {
      if (contentLength !== null) throw invalidArgument('duplicate content-length header');
      if (!DIGITS.test(value)) throw invalidArgument('invalid content-length header');
      contentLength = parseInt(value, 10);
    } else if (special === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const t = token.trim();
        if (!isToken(t)) throw invalidArgument('invalid connection header');
        if (t === 'close') close = true;
      }
    } else if (special === 'expect') {
      throw new H1Error('UND_ERR_NOT_SUPPORTED', 'expect header not supported');
    } else {
      throw invalidArgument(`invalid ${special} header`);
    }
  }
  if (host === null) host = defaultHost;
  return { start: `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`, lines, contentLength, close };
}

/** The lower-case name when `name` is one the client handles itself, else ''. Lower-cases only candidates. */
function specialName(name: string): string {
  const n = name.length;
  const c = name.charCodeAt(0) | 0x20;
  let candidate = false;
  if (c === 0x68) candidate = n === 4; // host
  else if (c === 0x63) candidate = n === 10 || n === 14; // connection, content-length
  else if (c === 0x6b) candidate = n === 10; // keep-alive
  else if (c === 0x74) candidate = n === 17; // transfer-encoding
  else if (c === 0x75) candidate = n === 7; // upgrade
  else if (c === 0x65) candidate = n === 6; // expect
  if (!candidate) return '';
  const lower = name.toLowerCase();
  switch (lower) {
    case 'host':
    case 'connection':
    case 'content-length':
    case 'keep-alive':
    case 'transfer-encoding':
    case 'upgrade':
    case 'expect':
      return lower;
    default:
      return '';
  }
}
