/**
 * The agent's HTTP/1.1 upstream client: keep-alive connections to one origin, one request at a time
 * on each, parsed by Node's own HTTP parser (llhttp in C++, `_http_common`'s HTTPParser) instead of
 * undici's (llhttp in WebAssembly behind a Request object, a header object parser and a wrapping
 * handler). It speaks the dispatch handler protocol the layers use (agent/dispatch/dispatch.ts) and
 * keeps undici's rules where the agent depends on them: the request head (request-head.ts), the
 * error codes (h1-errors.ts), `connection: close` after HEAD and at `maxRequestsPerClient`, the
 * server's `Keep-Alive: timeout` hint less 2 s, a 100 Continue or an unasked upgrade is a broken
 * connection, other 1xx answers are passed on, and an idle connection is written to only after the
 * event loop has had a turn to see what it already received (GHSA-35p6-xmwp-9g52). docs/agent.md
 * has the measurements that chose it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { connect as netConnect, type Socket } from 'node:net';
import { awaitConnect } from '../await-connect.ts';
import { DETACHED, type Controller, type Handler } from '../dispatch/dispatch.ts';
import { connectTimeout, H1Error, poolClosed, poolDestroyed, socketError } from './h1-errors.ts';
import { requestHead, type RequestHead } from './request-head.ts';

interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  /** Reads `stream` itself, in C++: each read is parsed, then reported to kOnExecute. */
  consume(stream: StreamHandle): void;
  unconsume(): void;
  close(): void;
  free(): void;
  [callback: number]: unknown;
}

/** A socket's native handle (TCP, or TLS over it) as Node's HTTP server consumes it. */
interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: (new () => HttpParser) & Record<string, number> };
const ON_HEADERS = HTTPParser.kOnHeaders!;
const ON_HEADERS_COMPLETE = HTTPParser.kOnHeadersComplete!;
const ON_BODY = HTTPParser.kOnBody!;
const ON_MESSAGE_COMPLETE = HTTPParser.kOnMessageComplete!;
const ON_EXECUTE = HTTPParser.kOnExecute!;

/** undici's connector shape: the mesh's mTLS connector is one. */
export type Connector = (o: { hostname: string; host: string; port: string; protocol: string; servername: string | null }, done: (err: Error | null, socket: Socket | null) => void) => void;

/** The undici Pool options the agent sets (upstream-pools.ts, cluster.ts), with undici's meanings. */
export interface H1PoolOptions {
  connectTimeout?: number | null;
  keepAliveTimeout?: number;
  keepAliveMaxTimeout?: number;
  /** 0: no keep-alive (every request asks for `connection: close`); otherwise one request at a time. */
  pipelining?: number;
  /** A connection asks to close with the request that finds this many already sent on it. */
  maxRequestsPerClient?: number;
  /** Milliseconds: a connection older than this serves no further request (Istio's `maxConnectionDuration`); 0 or absent: no limit. */
  maxConnectionDuration?: number;
  connect?: Connector | object;
}

/** What `dispatch` sends. */
export interface H1DispatchOptions {
  path: string;
  method: string;
  headers: readonly string[];
  /** A Buffer is written with the head at once; an iterable is streamed (chunked without a content-length). */
  body: AsyncIterable<Buffer> | Buffer | null;
}

const KEEP_ALIVE_THRESHOLD_MS = 2_000;
const DEFAULT_KEEP_ALIVE_MAX_MS = 600_000;
const TCP_KEEP_ALIVE_DELAY_MS = 60_000;
const PAYLOAD_METHODS = new Set(['PUT', 'POST', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH']);
const KEEP_ALIVE_TIMEOUT = /timeout=(\d+)/;

/** A Pool of HTTP/1.1 connections to `origin` (`http://host:port`, or `https://` with a connector). */
export class H1Pool {
  readonly #hostname: string;
  readonly #port: string;
  readonly #protocol: string;
  readonly #host: string;
  readonly #connector: Connector | undefined;
  readonly #connectTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly keepAliveMaxMs: number;
  readonly noKeepAlive: boolean;
  readonly maxRequests: number;
  /** 0: no limit. */
  readonly maxDurationMs: number;
  readonly #idle: H1Connection[] = [];
  readonly #all = new Set<H1Connection>();
  #closed = false;
  #destroyed = false;
  #whenEmpty: (() => void) | null = null;

  constructor(origin: string, o: H1PoolOptions = {}) {
    const url = new URL(origin);
    this.#hostname = url.hostname;
    this.#protocol = url.protocol;
    this.#port = url.port || (url.protocol === 'https:' ? '443' : '80');
    this.#host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
    this.#connector = typeof o.connect === 'function' ? (o.connect as Connector) : undefined;
    this.#connectTimeoutMs = o.connectTimeout ?? 10_000;
    this.keepAliveMs = o.keepAliveTimeout ?? 4_000;
    this.keepAliveMaxMs = o.keepAliveMaxTimeout ?? DEFAULT_KEEP_ALIVE_MAX_MS;
    this.noKeepAlive = o.pipelining === 0;
    this.maxRequests = o.maxRequestsPerClient ?? 0;
    this.maxDurationMs = o.maxConnectionDuration ?? 0;
  }

  /**
   * Sends a request; reports to `handler` (never throws for a request it took). A request it cannot
   * write throws an {@link H1Error} (UND_ERR_INVALID_ARG, UND_ERR_NOT_SUPPORTED) before anything is
   * sent, as undici's does.
   */
  dispatch(opts: H1DispatchOptions, handler: Handler): boolean {
    if (this.#closed || this.#destroyed) {
      handler.onResponseError(DETACHED, this.#destroyed ? poolDestroyed() : poolClosed());
      return false;
    }
    const head = requestHead(opts.method, opts.path, opts.headers, this.#host);
    if (Buffer.isBuffer(opts.body) && head.contentLength !== null && head.contentLength !== opts.body.length) {
      throw new H1Error('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'Request body length does not match content-length header');
    }
    const req = new H1Request(opts, head, handler);
    handler.onRequestStart(req, {});
    if (!req.aborted) this.assign(req);
    return true;
  }

  /** Gives `req` a connection: the most recently idle one (not past `maxDurationMs`), else a new one. */
  assign(req: H1Request): void {
    if (this.#destroyed) return req.fail(poolDestroyed());
    let conn = this.#idle.pop();
    while (conn && (conn.dead || conn.expired())) {
      if (!conn.dead) conn.close();
      conn = this.#idle.pop();
    }
    if (conn) return conn.reuse(req);
    conn = new H1Connection(this);
    this.#all.add(conn);
    conn.open(req);
  }

  /** Opens a socket the way this pool connects. */
  connect(done: (err: Error | null, socket: Socket | null) => void): void {
    if (this.#connector) {
      this.#connector({ hostname: this.#hostname, host: this.#host, port: this.#port, protocol: this.#protocol, servername: null }, done);
      return;
    }
    const socket = netConnect({ host: this.#hostname, port: Number(this.#port) });
    const ms = this.#connectTimeoutMs;
    awaitConnect(socket, 'connect', ms, () => connectTimeout(ms), (err) => done(err, err ? null : socket));
  }

  /** A connection finished its request and may serve another. */
  release(conn: H1Connection): void {
    if (this.#closed || this.#destroyed) return conn.close();
    this.#idle.push(conn);
  }

  /** A connection is gone. */
  forget(conn: H1Connection): void {
    this.#all.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.#all.size === 0) this.#whenEmpty?.();
  }

  /** Lets requests in flight finish, then closes every connection; new requests fail. */
  close(): Promise<void> {
    this.#closed = true;
    for (const conn of this.#idle.splice(0)) conn.close();
    return this.#empty();
  }

  /** Closes every connection now, failing the requests in flight. */
  destroy(): Promise<void> {
    this.#destroyed = true;
    this.#idle.length = 0;
    for (const conn of [...this.#all]) conn.destroy(poolDestroyed());
    return this.#empty();
  }

  #empty(): Promise<void> {
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#whenEmpty = resolve;
    });
  }
}

/** One request, and the controller its handler gets. */
export class H1Request implements Controller {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  /** The final response has started. */
  started = false;
  /** The handler heard the end (response end or error). */
  done = false;
  conn: H1Connection | null = null;
  readonly method: string;
  readonly body: AsyncIterable<Buffer> | Buffer | null;
  readonly head: RequestHead;
  readonly handler: Handler;

  constructor(opts: H1DispatchOptions, head: RequestHead, handler: Handler) {
    this.method = opts.method;
    this.body = opts.body;
    this.head = head;
    this.handler = handler;
  }

  abort(reason: Error): void {
    if (this.aborted || this.done) return;
    this.aborted = true;
    this.reason = reason;
    const conn = this.conn;
    this.conn = null;
    conn?.destroy(reason);
    this.fail(reason);
  }

  pause(): void {
    this.paused = true;
    this.conn?.pause();
  }

  resume(): void {
    this.paused = false;
    this.conn?.resume();
  }

  /** Tells the handler the request failed (once). */
  fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.handler.onResponseError(this, err);
  }
}

/** One keep-alive connection: at most one request at a time. */
class H1Connection {
  readonly #pool: H1Pool;
  #socket: Socket | null = null;
  readonly #parser: HttpParser;
  /** The request in flight. */
  #req: H1Request | null = null;
  #sent = 0;
  /** Ask to close after the request in flight. */
  #reset = false;
  #writing = false;
  #keepAlive = false;
  #keepAliveMs: number;
  #idleTimer: NodeJS.Timeout | null = null;
  #idleTimerMs = 0;
  #error: Error | null = null;
  #headers: string[] = [];
  /** The socket's handle, when the parser reads it directly ({@link H1Connection.#attach}). */
  #consumed: StreamHandle | null = null;
  /** A request given to this connection and not yet sent (connecting, or the turn before reuse). */
  #waiting: H1Request | null = null;
  #waitingReuse = false;
  /** When the socket connected (`performance.now()`), for the pool's `maxDurationMs`. */
  #born = 0;
  dead = false;

  constructor(pool: H1Pool) {
    this.#pool = pool;
    this.#keepAliveMs = pool.keepAliveMs;
    const p = (this.#parser = new HTTPParser());
    p.initialize(HTTPParser.RESPONSE!, {}, 0, 0);
    p[ON_HEADERS] = (headers: string[]) => {
      for (let i = 0; i < headers.length; i++) this.#headers.push(headers[i]!);
    };
    p[ON_HEADERS_COMPLETE] = (_maj: number, _min: number, headers: string[] | undefined, _m: number, _u: string, status: number, message: string, upgrade: boolean, keepAlive: boolean) =>
      this.#onHeadersComplete(headers, status, message, upgrade, keepAlive);
    p[ON_BODY] = (chunk: Buffer) => {
      const req = this.#req;
      if (req && !req.done) req.handler.onResponseData(req, chunk);
    };
    p[ON_MESSAGE_COMPLETE] = () => this.#onMessageComplete();
  }

  /** Connects, then sends `req`. */
  open(req: H1Request): void {
    req.conn = this;
    this.#waiting = req;
    this.#waitingReuse = false;
    this.#pool.connect((err, socket) => {
      if (this.dead) {
        // Destroyed while connecting (abort, pool destroyed): the request has heard already.
        socket?.destroy();
        return;
      }
      // A connect error fails the waiting request (destroy does, as for any request not yet sent).
      if (err || !socket) return this.destroy(err ?? socketError('connect failed'));
      const w = this.#waiting;
      this.#waiting = null;
      this.#attach(socket);
      if (!w || w.done) return this.#idle();
      this.#send(w);
    });
  }

  /** Sends `req` on this idle connection once the event loop has run its pending I/O. */
  reuse(req: H1Request): void {
    this.#socket!.ref();
    req.conn = this;
    this.#waiting = req;
    this.#waitingReuse = true;
    setImmediate(this.#validated);
  }

  readonly #validated = (): void => {
    const w = this.#waiting;
    // Gone meanwhile: destroy() has handed the request on (or it was aborted).
    if (!w || this.dead) return;
    this.#waiting = null;
    if (w.done) return this.#idle();
    this.#send(w);
  };

  #attach(socket: Socket): void {
    this.#socket = socket;
    if (this.#pool.maxDurationMs > 0) this.#born = performance.now();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEP_ALIVE_DELAY_MS);
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    if (handle?.isStreamBase && !handle._consumed && socket.readableLength === 0) {
      // As Node's HTTP server does: the parser reads the socket in C++, so a response takes no
      // 'data' event (Readable push, emit, a Buffer per read) on its way in. The end of the
      // connection and read errors still reach the socket's events.
      handle._consumed = true;
      this.#consumed = handle;
      this.#parser[ON_EXECUTE] = this.#executed;
      this.#parser.consume(handle);
    } else socket.on('data', (data: Buffer) => this.#executed(this.#parser.execute(data)));
    socket.on('end', () => {
      // A body delimited by the end of the connection ends here; anything else was cut short.
      if (!this.dead) this.#parser.finish();
      if (!this.dead) this.destroy(socketError('other side closed'));
    });
    socket.on('error', (err: Error) => {
      this.#error ??= err;
    });
    socket.on('close', () => this.destroy(this.#error ?? socketError('closed')));
  }

  /** What the parser made of a read: bytes parsed, or the error that makes this connection unusable. */
  readonly #executed = (r: number | Error): void => {
    if (r instanceof Error && !this.dead) this.destroy(socketError(`bad response: ${(r as { code?: string }).code ?? r.message}`));
  };

  #send(req: H1Request): void {
    const pool = this.#pool;
    this.#req = req;
    this.#headers = [];
    let reset = req.head.close || pool.noKeepAlive || req.method === 'HEAD';
    if (pool.maxRequests && this.#sent++ >= pool.maxRequests) reset = true;
    this.#reset = reset;
    const head = req.head;
    const connection = reset ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
    const socket = this.#socket!;
    const payload = PAYLOAD_METHODS.has(req.method);
    if (req.body === null) {
      socket.write(`${head.start}${connection}${head.lines}${payload ? 'content-length: 0\r\n' : ''}\r\n`, 'latin1');
      return;
    }
    const body = req.body;
    if (Buffer.isBuffer(body)) {
      socket.cork();
      socket.write(`${head.start}${connection}${head.lines}content-length: ${body.length}\r\n\r\n`, 'latin1');
      socket.write(body);
      socket.uncork();
      return;
    }
    let length = head.contentLength;
    if (length === 0 && !payload) length = null;
    socket.write(`${head.start}${connection}${head.lines}${length === null ? 'transfer-encoding: chunked\r\n' : `content-length: ${length}\r\n`}\r\n`, 'latin1');
    this.#writing = true;
    void this.#writeBody(req, socket, length);
  }

  async #writeBody(req: H1Request, socket: Socket, length: number | null): Promise<void> {
    let written = 0;
    try {
      for await (const chunk of req.body as AsyncIterable<Buffer>) {
        if (req.done || socket.destroyed) return;
        if (chunk.length === 0) continue;
        written += chunk.length;
        if (length !== null && written > length) throw new H1Error('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'Request body length does not match content-length header');
        const more = length === null ? socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1') && socket.write(chunk) && socket.write('\r\n', 'latin1') : socket.write(chunk);
        if (!more) await drained(socket);
      }
      if (req.done || socket.destroyed) return;
      if (length !== null && written !== length) throw new H1Error('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'Request body length does not match content-length header');
      if (length === null) socket.write('0\r\n\r\n', 'latin1');
      this.#writing = false;
      // The response came before the body was all sent: the connection cannot be reused.
      if (this.#req !== req && !this.dead) this.close();
    } catch (err) {
      this.#writing = false;
      if (this.#req === req) {
        this.#req = null;
        req.conn = null;
        this.destroy(err as Error);
        req.fail(err as Error);
      }
    }
  }

  #onHeadersComplete(headers: string[] | undefined, status: number, message: string, upgrade: boolean, keepAlive: boolean): number {
    const req = this.#req;
    const raw = headers ?? this.#headers;
    this.#headers = [];
    if (!req || req.done) {
      // Bytes no request asked for: the connection is out of step.
      this.destroy(socketError('bad response'));
      return -1;
    }
    if (status === 100) {
      this.destroy(socketError('bad response'));
      return -1;
    }
    if (upgrade) {
      this.destroy(socketError('bad upgrade'));
      return -1;
    }
    const h = headersObject(raw);
    if (status < 200) {
      req.handler.onResponseStart(req, status, h, message);
      return 1;
    }
    this.#keepAlive = keepAlive;
    const hint = h['keep-alive'];
    if (keepAlive && typeof hint === 'string') {
      const m = KEEP_ALIVE_TIMEOUT.exec(hint);
      if (m) {
        const ms = Math.min(Number(m[1]) * 1000 - KEEP_ALIVE_THRESHOLD_MS, this.#pool.keepAliveMaxMs);
        if (ms <= 0) this.#reset = true;
        else this.#keepAliveMs = ms;
      }
    } else this.#keepAliveMs = this.#pool.keepAliveMs;
    req.started = true;
    req.handler.onResponseStart(req, status, h, message);
    return req.method === 'HEAD' ? 1 : 0;
  }

  #onMessageComplete(): void {
    const req = this.#req;
    if (!req || req.done) return;
    if (!req.started) return; // a 1xx answer; the final one follows
    const trailers = headersObject(this.#headers);
    this.#headers = [];
    this.#req = null;
    req.conn = null;
    req.done = true;
    const reusable = this.#keepAlive && !this.#reset && !this.#writing && !this.expired();
    if (this.#writing) this.destroy(socketError('reset'));
    req.handler.onResponseEnd(req, trailers);
    if (this.dead) return;
    if (!reusable) return this.close();
    this.#idle();
  }

  /** Older than the pool's `maxDurationMs`; never when the pool sets none (no clock read then). */
  expired(): boolean {
    const max = this.#pool.maxDurationMs;
    return max > 0 && performance.now() - this.#born >= max;
  }

  /** Back to the pool's idle list, closed by the keep-alive timeout unless reused first. */
  #idle(): void {
    const timer = this.#idleTimer;
    // One timer per connection, re-armed each time (a fired timer re-arms too); its callback ignores
    // a busy connection.
    if (timer && this.#idleTimerMs === this.#keepAliveMs) timer.refresh();
    else {
      if (timer) clearTimeout(timer);
      this.#idleTimer = setTimeout(this.#idleTimeout, this.#keepAliveMs);
      this.#idleTimer.unref();
      this.#idleTimerMs = this.#keepAliveMs;
    }
    this.#socket!.unref();
    this.#pool.release(this);
  }

  readonly #idleTimeout = (): void => {
    if (!this.#req && !this.#waiting) this.close();
  };

  pause(): void {
    const handle = this.#consumed;
    if (!handle) return void this.#socket?.pause();
    // The socket's own pause does not stop a consumed handle: stop reading it (as net.Socket does
    // for a handle it reads into its own buffer).
    if (this.dead || !handle.reading) return;
    handle.reading = false;
    handle.readStop();
  }

  resume(): void {
    const handle = this.#consumed;
    if (!handle) return void this.#socket?.resume();
    if (this.dead || handle.reading) return;
    handle.reading = true;
    handle.readStart();
  }

  /** Ends an idle connection. */
  close(): void {
    this.destroy(null);
  }

  /** Ends the connection now; the request in flight, if any, fails with `err`. */
  destroy(err: Error | null): void {
    if (this.dead) return;
    this.dead = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#socket?.destroy();
    this.#pool.forget(this);
    const req = this.#req;
    this.#req = null;
    if (req) {
      req.conn = null;
      req.fail(err ?? socketError('closed'));
    }
    const w = this.#waiting;
    this.#waiting = null;
    if (w && !w.done) {
      w.conn = null;
      // An idle connection found closed before its next request went out: another one takes it.
      if (this.#waitingReuse && !w.aborted) this.#pool.assign(w);
      else w.fail(err ?? socketError('closed'));
    }
    // Not from inside the parser's own callback (destroy can be called there): on the next turn.
    const parser = this.#parser;
    const consumed = this.#consumed !== null;
    setImmediate(() => {
      // Off the stream before the parser is freed (it may still be alive until its handle closes).
      if (consumed) parser.unconsume();
      parser.close();
    });
  }
}

/** Response headers as undici hands them to a handler: lower-case names, repeated ones as arrays. */
export function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const have = out[key];
    if (have === undefined || !Object.hasOwn(out, key)) {
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
      else out[key] = value;
    } else if (typeof have === 'string') out[key] = [have, value];
    else have.push(value);
  }
  return out as IncomingHttpHeaders;
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
