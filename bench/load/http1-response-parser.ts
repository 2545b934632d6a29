/**
 * Incremental parser of HTTP/1.1 responses on one keep-alive connection, just enough for the
 * fixed-rate load generator: status, body framing (Content-Length, chunked, or until close) and
 * whether the server will close the connection. Bodies are skipped, not kept. Pure.
 */

/** One complete response. */
export interface ParsedResponse {
  status: number;
  /** The server said `Connection: close` (or spoke HTTP/1.0 without keep-alive). */
  close: boolean;
}

type State =
  | { kind: 'head' }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-data-crlf' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Feed it every chunk a socket reads; it returns the responses that chunk completed. */
export class Http1ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };
  private current: ParsedResponse = { status: 0, close: false };

  /** Parses `chunk`; returns the responses it completed, in order. Throws on malformed input. */
  push(chunk: Buffer): ParsedResponse[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const done: ParsedResponse[] = [];
    for (;;) {
      const progressed = this.step(done);
      if (!progressed) break;
    }
    return done;
  }

  /** The peer closed: completes a response framed by connection close, if one is in progress. */
  end(): ParsedResponse[] {
    if (this.state.kind === 'until-close') {
      this.state = { kind: 'head' };
      return [{ ...this.current, close: true }];
    }
    return [];
  }

  /** True between responses (nothing buffered, no response in progress). */
  idle(): boolean {
    return this.state.kind === 'head' && this.buf.length === 0;
  }

  private step(done: ParsedResponse[]): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'head': {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > MAX_HEAD) throw new Error('response head too large');
          return false;
        }
        const head = this.buf.subarray(0, end).toString('latin1');
        this.buf = this.buf.subarray(end + 4);
        this.startResponse(head, done);
        return true;
      }
      case 'body': {
        const take = Math.min(s.remaining, this.buf.length);
        this.buf = this.buf.subarray(take);
        s.remaining -= take;
        if (s.remaining > 0) return false;
        this.finish(done);
        return true;
      }
      case 'chunk-size': {
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) return false;
        const line = this.buf.subarray(0, eol).toString('latin1');
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size: ${line}`);
        this.buf = this.buf.subarray(eol + 2);
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size };
        return true;
      }
      case 'chunk-data': {
        const take = Math.min(s.remaining, this.buf.length);
        this.buf = this.buf.subarray(take);
        s.remaining -= take;
        if (s.remaining > 0) return false;
        this.state = { kind: 'chunk-data-crlf' };
        return true;
      }
      case 'chunk-data-crlf': {
        if (this.buf.length < 2) return false;
        this.buf = this.buf.subarray(2);
        this.state = { kind: 'chunk-size' };
        return true;
      }
      case 'trailers': {
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) return false;
        this.buf = this.buf.subarray(eol + 2);
        if (eol === 0) this.finish(done);
        return true;
      }
      case 'until-close':
        this.buf = Buffer.alloc(0);
        return false;
    }
  }

  private startResponse(head: string, done: ParsedResponse[]): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`bad status line: ${(lines[0] ?? '').slice(0, 80)}`);
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    let contentLength = -1;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = value.split(',').map((v) => v.trim()).includes('chunked');
      else if (name === 'connection') connection = value;
    }
    const close = connection.includes('close') || (http10 && !connection.includes('keep-alive'));
    this.current = { status, close };
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      if (status >= 100 && status < 200) return; // interim response: the real one follows
      this.finish(done);
    } else if (chunked) this.state = { kind: 'chunk-size' };
    else if (contentLength >= 0) {
      this.state = { kind: 'body', remaining: contentLength };
      if (contentLength === 0) this.finish(done);
    } else this.state = { kind: 'until-close' };
  }

  private finish(done: ParsedResponse[]): void {
    done.push(this.current);
    this.state = { kind: 'head' };
  }
}
