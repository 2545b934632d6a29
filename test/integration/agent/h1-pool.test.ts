/**
 * The agent's HTTP/1.1 upstream client against scripted upstreams on raw sockets (loopback): what
 * it writes, how it frames responses, when it reuses or drops a connection, and the errors it
 * reports (undici's codes, which the dispatch layers map to retries and outlier detection).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Controller, Handler } from '../../../agent/dispatch/dispatch.ts';
import { H1Pool, type H1PoolOptions } from '../../../agent/h1/h1-pool.ts';

/** One request as the upstream received it. */
interface Received {
  conn: number;
  head: string;
  body: string;
}

/**
 * An upstream that hands each complete request (head, and a body framed by content-length or
 * chunked) to `answer`, which writes whatever bytes it likes.
 */
class ScriptedUpstream {
  readonly server: Server;
  readonly received: Received[] = [];
  readonly sockets: Socket[] = [];
  closedConnections = 0;
  port = 0;

  constructor(answer: (s: Socket, r: Received, n: number) => void) {
    this.server = createServer((s) => {
      const conn = this.sockets.push(s) - 1;
      let buf = Buffer.alloc(0);
      s.on('close', () => this.closedConnections++);
      s.on('error', () => {});
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          let rest = buf.subarray(end + 4);
          let body = '';
          const cl = /\r\ncontent-length: (\d+)/i.exec(head);
          if (cl) {
            const n = Number(cl[1]);
            if (rest.length < n) return;
            body = rest.subarray(0, n).toString();
            rest = rest.subarray(n);
          } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
            const done = rest.indexOf('0\r\n\r\n');
            if (done < 0) return;
            let chunked = rest.subarray(0, done).toString();
            while (chunked.length > 0) {
              const nl = chunked.indexOf('\r\n');
              const size = parseInt(chunked.slice(0, nl), 16);
              body += chunked.slice(nl + 2, nl + 2 + size);
              chunked = chunked.slice(nl + 2 + size + 2);
            }
            rest = rest.subarray(done + 5);
          }
          buf = rest;
          const r = { conn, head, body };
          this.received.push(r);
          answer(s, r, this.received.length - 1);
        }
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  pool(o: H1PoolOptions = {}): H1Pool {
    return new H1Pool(`http://127.0.0.1:${this.port}`, o);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** A handler that records what it is told and resolves when the request ends either way. */
class Recorder implements Handler {
  controller: Controller | null = null;
  readonly starts: Array<{ status: number; headers: IncomingHttpHeaders; message?: string }> = [];
  readonly chunks: Buffer[] = [];
  trailers: IncomingHttpHeaders | null = null;
  error: (Error & { code?: string }) | null = null;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.done = new Promise((r) => (this.#resolve = r));
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString();
  }

  get status(): number {
    return this.starts.at(-1)?.status ?? 0;
  }

  onRequestStart(c: Controller): void {
    this.controller = c;
  }

  onResponseStart(_c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    this.starts.push({ status, headers, message });
  }

  onResponseData(_c: Controller, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(_c: Controller, trailers: IncomingHttpHeaders): void {
    this.trailers = trailers;
    this.#resolve();
  }

  onResponseError(_c: Controller, err: Error): void {
    this.error = err;
    this.#resolve();
  }
}

/** Runs `run` with a pool to a {@link ScriptedUpstream} answering with `answer`; closes both after. */
async function withPool(answer: (s: Socket, r: Received, n: number) => void, run: (pool: H1Pool, up: ScriptedUpstream) => Promise<void>): Promise<void> {
  const up = await new ScriptedUpstream(answer).listen();
  const pool = up.pool();
  try {
    await run(pool, up);
  } finally {
    await pool.destroy();
    await up.close();
  }
}

async function send(pool: H1Pool, method = 'GET', path = '/', headers: string[] = [], body: AsyncIterable<Buffer> | Buffer | null = null): Promise<Recorder> {
  const r = new Recorder();
  pool.dispatch({ method, path, headers, body }, r);
  await r.done;
  return r;
}

const ok = (s: Socket, body = 'hello', extra = '') => s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`);

async function* chunksOf(...parts: string[]): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

test('writes the head undici writes; a content-length response is passed on; the connection is reused', async () => {
  await withPool(
    (s) => ok(s, 'hello', 'x-a: 1\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n'),
    async (pool, up) => {
      const a = await send(pool, 'GET', '/p?q=1', ['host', 'svc:80', 'x-request-id', 'r1']);
      const b = await send(pool, 'GET', '/two', ['x-b', '2']);
      assert.is(a.error, null);
      assert.is(a.status, 200);
      assert.is(a.starts[0]!.message, 'OK');
      assert.is(a.body, 'hello');
      assert.equal(a.starts[0]!.headers['set-cookie'], ['a=1', 'b=2']);
      assert.is(a.starts[0]!.headers['x-a'], '1');
      assert.equal(a.trailers, {});
      assert.ok(a.controller);
      assert.is(up.received[0]!.head, 'GET /p?q=1 HTTP/1.1\r\nhost: svc:80\r\nconnection: keep-alive\r\nx-request-id: r1');
      assert.is(up.received[1]!.head, `GET /two HTTP/1.1\r\nhost: 127.0.0.1:${up.port}\r\nconnection: keep-alive\r\nx-b: 2`);
      assert.is(b.body, 'hello');
      assert.is(up.sockets.length, 1, 'one keep-alive connection');
    },
  );
});

test('chunked responses with trailers, and bodies delimited by the end of the connection', async () => {
  await withPool(
    (s, r) => {
      if (r.head.startsWith('GET /chunked')) s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nx-t: done\r\n\r\n');
      else s.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end');
    },
    async (pool) => {
      const a = await send(pool, 'GET', '/chunked');
      assert.is(a.body, 'abcde');
      assert.equal(a.trailers, { 'x-t': 'done' });
      const b = await send(pool, 'GET', '/close');
      assert.is(b.error, null);
      assert.is(b.body, 'until the end');
    },
  );
});

test('HEAD and 204 have no body; HEAD asks to close the connection, as undici does', async () => {
  await withPool(
    (s, r) => {
      if (r.head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n');
      else s.write('HTTP/1.1 204 No Content\r\n\r\n');
    },
    async (pool, up) => {
      const a = await send(pool, 'HEAD');
      assert.is(a.error, null);
      assert.is(a.status, 200);
      assert.is(a.body, '');
      assert.match(up.received[0]!.head, /\r\nconnection: close(\r\n|$)/);
      const b = await send(pool, 'DELETE');
      assert.is(b.status, 204);
      assert.is(b.error, null);
      assert.is(up.received[1]!.conn, 1, 'a new connection after HEAD');
    },
  );
});

test('an interim 1xx is passed on before the final answer; 100 Continue (never asked for) breaks the connection', async () => {
  await withPool(
    (s, r) => {
      if (r.head.startsWith('GET /early')) s.write('HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    },
    async (pool) => {
      const a = await send(pool, 'GET', '/early');
      assert.equal(a.starts.map((x) => x.status), [103, 200]);
      assert.is(a.starts[0]!.headers.link, '</a.css>');
      assert.is(a.body, 'ok');
      const b = await send(pool, 'GET', '/continue');
      assert.is(b.error?.code, 'UND_ERR_SOCKET');
    },
  );
});

test('a body cut short, a reset and a refused connection fail with the codes the layers map', async () => {
  const up = await new ScriptedUpstream((s, r) => {
    if (r.head.startsWith('GET /cut')) s.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345');
    else s.resetAndDestroy();
  }).listen();
  const pool = up.pool();
  try {
    const a = await send(pool, 'GET', '/cut');
    assert.is(a.error?.code, 'UND_ERR_SOCKET');
    assert.is(a.status, 200);
    const b = await send(pool, 'GET', '/reset');
    assert.is(b.error?.code, 'ECONNRESET');
    assert.is(b.status, 0);
  } finally {
    await pool.destroy();
    await up.close();
  }
  const refused = await send(up.pool());
  assert.is(refused.error?.code, 'ECONNREFUSED');
});

test('an idle connection the upstream closed, or wrote to unasked, is not used again', async () => {
  await withPool(
    (s, r, n) => {
      ok(s, `r${n}`);
      if (r.head.startsWith('GET /then-close')) setTimeout(() => s.end(), 20);
      if (r.head.startsWith('GET /then-junk')) setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil'), 20);
    },
    async (pool, up) => {
      assert.is((await send(pool, 'GET', '/then-close')).body, 'r0');
      await new Promise((r) => setTimeout(r, 100));
      const b = await send(pool, 'GET', '/then-junk');
      assert.is(b.error, null);
      assert.is(b.body, 'r1');
      assert.is(up.received[1]!.conn, 1);
      await new Promise((r) => setTimeout(r, 100));
      const c = await send(pool, 'GET', '/plain');
      assert.is(c.error, null);
      assert.is(c.body, 'r2', 'not the bytes nobody asked for');
      assert.is(up.received[2]!.conn, 2);
    },
  );
});

test('a connection whose response ended in this turn waits a turn before reuse, so a close sent with the response is seen', async () => {
  await withPool(
    (s, r, n) => {
      ok(s, `r${n}`);
      // The response and the end of the connection in one go: the pool reads both in the same turn.
      if (r.head.startsWith('GET /then-close')) s.end();
    },
    async (pool, up) => {
      const second = new Recorder();
      const first = new Recorder();
      // The next request is dispatched from inside the first one's end, as a retry or a queued request is.
      const onEnd = first.onResponseEnd.bind(first);
      first.onResponseEnd = (c, t) => {
        onEnd(c, t);
        pool.dispatch({ method: 'GET', path: '/next', headers: [], body: null }, second);
      };
      pool.dispatch({ method: 'GET', path: '/then-close', headers: [], body: null }, first);
      await first.done;
      await second.done;
      assert.is(first.body, 'r0');
      assert.is(second.error, null);
      assert.is(second.body, 'r1');
      assert.is(up.received[1]!.conn, 1, 'on a new connection');
    },
  );
});

test('request bodies: content-length as given, chunked without one, a Buffer with its length; a short body fails the request', async () => {
  await withPool(
    (s, r) => ok(s, `got ${r.body}`),
    async (pool, up) => {
      const a = await send(pool, 'POST', '/', ['content-length', '6'], chunksOf('ab', 'cdef'));
      assert.is(a.body, 'got abcdef');
      assert.match(up.received[0]!.head, /\r\ncontent-length: 6$/);
      const b = await send(pool, 'PUT', '/', [], chunksOf('x', 'yz'));
      assert.is(b.body, 'got xyz');
      assert.match(up.received[1]!.head, /\r\ntransfer-encoding: chunked$/);
      const c = await send(pool, 'POST', '/');
      assert.is(c.body, 'got ');
      assert.match(up.received[2]!.head, /\r\ncontent-length: 0$/, 'a POST without a body says so');
      const d = await send(pool, 'POST', '/', ['content-length', '5'], chunksOf('ab'));
      assert.is(d.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
      const e = await send(pool, 'POST', '/', [], Buffer.from('one buffer'));
      assert.is(e.body, 'got one buffer');
      assert.match(up.received.at(-1)!.head, /\r\ncontent-length: 10$/, 'a Buffer body goes with its length');
      assert.throws(
        () => pool.dispatch({ method: 'POST', path: '/', headers: ['content-length', '3'], body: Buffer.from('four') }, new Recorder()),
        (err: { code?: string }) => err.code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
      );
    },
  );
});

test('a request it cannot write throws before anything is sent', async () => {
  await withPool(
    (s) => ok(s),
    async (pool, up) => {
      assert.throws(
        () => pool.dispatch({ method: 'GET', path: '/', headers: ['x-a', 'v\r\nx-b: 1'], body: null }, new Recorder()),
        (err: { code?: string }) => err.code === 'UND_ERR_INVALID_ARG',
      );
      assert.is((await send(pool)).body, 'hello');
      assert.is(up.received.length, 1);
    },
  );
});

test("keep-alive limits: maxRequestsPerClient (undici's count), pipelining 0, and the server's Keep-Alive hint", async () => {
  const up = await new ScriptedUpstream((s, r) => ok(s, 'x', r.head.includes('/short') ? 'keep-alive: timeout=1\r\n' : '')).listen();
  const limited = up.pool({ maxRequestsPerClient: 1 });
  const none = up.pool({ pipelining: 0 });
  const plain = up.pool();
  try {
    for (let i = 0; i < 3; i++) await send(limited);
    assert.equal(up.received.map((r) => /connection: ([\w-]+)/.exec(r.head)![1]), ['keep-alive', 'close', 'keep-alive']);
    assert.equal(up.received.map((r) => r.conn), [0, 0, 1]);
    await send(none);
    assert.match(up.received[3]!.head, /connection: close/);
    await send(plain, 'GET', '/short');
    await send(plain, 'GET', '/after');
    assert.is.not(up.received[5]!.conn, up.received[4]!.conn, 'a hint of 1 s (less 2 s) leaves nothing to keep');
  } finally {
    await Promise.all([limited.destroy(), none.destroy(), plain.destroy()]);
    await up.close();
  }
});

test('maxConnectionDuration: a connection older than it serves no further request; a younger one is reused', async () => {
  const up = await new ScriptedUpstream((s) => ok(s)).listen();
  const pool = up.pool({ maxConnectionDuration: 300 });
  try {
    await send(pool);
    await send(pool);
    await new Promise((r) => setTimeout(r, 400));
    await send(pool);
    await send(pool);
    assert.equal(up.received.map((r) => r.conn), [0, 0, 1, 1], 'the first connection, past 300 ms, was not used again');
    for (let i = 0; i < 100 && up.closedConnections === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(up.closedConnections, 1, 'and it was closed');
  } finally {
    await pool.destroy();
    await up.close();
  }
});

test('an idle connection is closed after keepAliveTimeout', async () => {
  const up = await new ScriptedUpstream((s) => ok(s)).listen();
  const pool = up.pool({ keepAliveTimeout: 50 });
  try {
    await send(pool);
    for (let i = 0; i < 100 && up.closedConnections === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(up.closedConnections, 1);
  } finally {
    await pool.destroy();
    await up.close();
  }
});

test('abort fails the request with its reason and drops the connection; pause and resume hold the socket', async () => {
  await withPool(
    (s, r) => {
      if (r.head.startsWith('GET /slow')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12');
      else ok(s);
    },
    async (pool, up) => {
      const r = new Recorder();
      pool.dispatch({ method: 'GET', path: '/slow', headers: [], body: null }, r);
      for (let i = 0; i < 100 && r.chunks.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
      r.controller!.pause();
      assert.ok(r.controller!.paused);
      r.controller!.resume();
      const reason = new Error('route timeout');
      r.controller!.abort(reason);
      await r.done;
      assert.is(r.error, reason);
      for (let i = 0; i < 100 && up.closedConnections === 0; i++) await new Promise((res) => setTimeout(res, 10));
      assert.is(up.closedConnections, 1);
      assert.is((await send(pool)).body, 'hello', 'the pool goes on with a new connection');
    },
  );
});

test('pause holds the rest of a response back until resume (backpressure from a slow client)', async () => {
  let rest: (() => void) | null = null;
  await withPool(
    (s) => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfirst');
      rest = () => s.write('-last');
    },
    async (pool) => {
      const r = new Recorder();
      pool.dispatch({ method: 'GET', path: '/', headers: [], body: null }, r);
      for (let i = 0; i < 100 && r.chunks.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
      assert.is(r.body, 'first');
      r.controller!.pause();
      rest!();
      await new Promise((res) => setTimeout(res, 100));
      assert.is(r.body, 'first', 'nothing more while paused');
      r.controller!.resume();
      await r.done;
      assert.is(r.error, null);
      assert.is(r.body, 'first-last');
    },
  );
});

test('close lets the request in flight finish, then refuses; destroy fails what is in flight', async () => {
  let release: (() => void) | null = null;
  const up = await new ScriptedUpstream((s) => {
    release = () => ok(s);
  }).listen();
  const pool = up.pool();
  try {
    const r = new Recorder();
    pool.dispatch({ method: 'GET', path: '/', headers: [], body: null }, r);
    for (let i = 0; i < 100 && !release; i++) await new Promise((res) => setTimeout(res, 10));
    const closed = pool.close();
    release!();
    await r.done;
    assert.is(r.body, 'hello');
    await closed;
    const after = await send(pool);
    assert.is(after.error?.code, 'UND_ERR_CLOSED');

    release = null;
    const pool2 = up.pool();
    const r2 = new Recorder();
    pool2.dispatch({ method: 'GET', path: '/', headers: [], body: null }, r2);
    for (let i = 0; i < 100 && !release; i++) await new Promise((res) => setTimeout(res, 10));
    await pool2.destroy();
    await r2.done;
    assert.is(r2.error?.code, 'UND_ERR_DESTROYED');
  } finally {
    await up.close();
  }
});

test('a request waiting for its connection (a connector, as mTLS has) hears of abort and of destroy', async () => {
  const up = await new ScriptedUpstream((s) => ok(s)).listen();
  const pending: Array<(err: Error | null, socket: Socket | null) => void> = [];
  const pool = new H1Pool(`https://127.0.0.1:${up.port}`, { connect: (_o: unknown, done: (err: Error | null, socket: Socket | null) => void) => pending.push(done) });
  try {
    const a = new Recorder();
    pool.dispatch({ method: 'GET', path: '/', headers: [], body: null }, a);
    const reason = new Error('per-try timeout');
    a.controller!.abort(reason);
    await a.done;
    assert.is(a.error, reason);
    const b = new Recorder();
    pool.dispatch({ method: 'GET', path: '/', headers: [], body: null }, b);
    await pool.destroy();
    await b.done;
    assert.is(b.error?.code, 'UND_ERR_DESTROYED');
    assert.is(pending.length, 2);
    // Connections that arrive afterwards are dropped, and nothing reaches the upstream.
    for (const done of pending) done(null, connectTo(up.port));
    await new Promise((r) => setTimeout(r, 50));
    assert.is(up.received.length, 0);
  } finally {
    await up.close();
  }
});

function connectTo(port: number): Socket {
  return createConnection({ host: '127.0.0.1', port });
}

test.run();
