import { invalidArgument, H1Error } from './h1-errors.ts';

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

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything a header line may not hold besides its CRLF: controls other than tab, DEL, non-Latin-1. */
const BAD_CHAR = /[^\t\r\n\x20-\x7e\x80-\xff]/;
const DIGITS = /^\d+$/;

/**
 * The head for `method path` with flat `headers` (name, value, ...), undici's rules: `host` (from
 * `defaultHost` when absent) comes first, then the connection line the writer adds (close when
 * `reset`, or when the request asks for it: `close`); `content-length` is taken out (the body writer frames the body); a second
 * `host` or `content-length`, a framing header the client owns (`transfer-encoding`, `keep-alive`,
 * `upgrade`), `expect`, or a name or value that is not valid HTTP throws an {@link H1Error}.
 */
export function requestHead(method: string, path: string, headers: readonly string[], defaultHost: string, reset = false): RequestHead {
  let host: string | null = null;
  let contentLength: number | null = null;
  let close = reset;
  let lines = '';
  let count = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!TOKEN.test(name)) throw invalidArgument('invalid header key');
    // Only names as long as one of the special ones are lower-cased.
    const n = name.length;
    const lower = n === 4 || n === 6 || n === 7 || n === 10 || n === 14 || n === 17 ? name.toLowerCase() : '';
    if (lower === 'host') {
      if (host !== null) throw invalidArgument('duplicate host header');
      host = value;
    } else if (lower === 'content-length') {
      if (contentLength !== null) throw invalidArgument('duplicate content-length header');
      if (!DIGITS.test(value)) throw invalidArgument('invalid content-length header');
      contentLength = parseInt(value, 10);
    } else if (lower === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const t = token.trim();
        if (!TOKEN.test(t)) throw invalidArgument('invalid connection header');
        if (t === 'close') close = true;
      }
    } else if (lower === 'transfer-encoding' || lower === 'keep-alive' || lower === 'upgrade') {
      throw invalidArgument(`invalid ${lower} header`);
    } else if (lower === 'expect') {
      throw new H1Error('UND_ERR_NOT_SUPPORTED', 'expect header not supported');
    } else {
      lines += `${name}: ${value}\r\n`;
      count++;
    }
  }
  if (host === null) host = defaultHost;
  const start = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  // One scan for characters no header may hold, and a count of line ends: a CR or LF inside the
  // method, path, host or any value would add one.
  if (BAD_CHAR.test(start) || BAD_CHAR.test(lines) || lineEnds(start) !== 2 || lineEnds(lines) !== count) throw invalidArgument('invalid header value or request target');
  return { start, lines, contentLength, close };
}

function lineEnds(s: string): number {
  let n = 0;
  for (let at = s.indexOf('\n'); at !== -1; at = s.indexOf('\n', at + 1)) {
    if (s.charCodeAt(at - 1) !== 13) return -1;
    n++;
  }
  for (let at = s.indexOf('\r'); at !== -1; at = s.indexOf('\r', at + 1)) if (s.charCodeAt(at + 1) !== 10) return -1;
  return n;
}
