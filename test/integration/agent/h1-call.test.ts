/**
 * h1Call, the control client's request API on the agent's own HTTP/1.1 client, against a node:http
 * server on loopback: a streamed body, a JSON body each way, undici's headers and body timeouts, and
 * an abort signal before and after the answer's head.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { h1Call, type H1CallOptions } from '../../../agent/h1/h1-call.ts';
import { H1Pool } from '../../../agent/h1/h1-pool.ts';

async function withServer(handle: (req: IncomingMessage, res: ServerResponse) => void, run: (pool: H1Pool) => Promise<void>): Promise<void> {
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const pool = new H1Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    await run(pool);
  } finally {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const call = (o: Partial<H1CallOptions> = {}): H1CallOptions => ({
  method: 'GET',
  path: '/',
  headers: {},
  signal: new AbortController().signal,
  headersTimeout: 2000,
  bodyTimeout: 2000,
  ...o,
});

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

test('a body streamed over time is read as it comes, as UTF-8 text across chunk boundaries', async () => {
  const euro = Buffer.from('€');
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"n":1}\n');
      setTimeout(() => res.write(Buffer.concat([Buffer.from('{"n":2,"s":"'), euro.subarray(0, 1)])), 30);
      setTimeout(() => res.end(Buffer.concat([euro.subarray(1), Buffer.from('"}\n')])), 60);
    },
    async (pool) => {
      const { statusCode, body } = await h1Call(pool, call());
      assert.is(statusCode, 200);
      const parts: string[] = [];
      for await (const s of body) parts.push(s);
      assert.ok(parts.length >= 2, 'more than one piece');
      assert.is(parts.join(''), '{"n":1}\n{"n":2,"s":"€"}\n');
    },
  );
});

test('a JSON body goes out with its length; the answer is read whole as JSON or text, or dumped', async () => {
  await withServer(
    (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'], auth: req.headers.authorization, body: JSON.parse(body || 'null') }));
      });
    },
    async (pool) => {
      const a = await h1Call(pool, call({ method: 'POST', path: '/ack', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"ok":true}' }));
      assert.is(a.statusCode, 200);
      assert.equal(await a.body.json(), { method: 'POST', length: '11', auth: 'Bearer t', body: { ok: true } });
      const b = await h1Call(pool, call({ path: '/missing' }));
      assert.is(b.statusCode, 404);
      assert.match(await b.body.text(), /"method":"GET"/);
      const c = await h1Call(pool, call());
      await c.body.dump();
    },
  );
});

/** `/silent` never answers; anything else gets a head and `first`, then nothing. */
function silentOrStalled(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/silent') return;
  res.writeHead(200);
  res.write('first');
}

test("no answer in headersTimeout rejects with undici's code; a stalled body fails the read with its code", async () => {
  await withServer(
    silentOrStalled,
    async (pool) => {
      const silent = await failure(h1Call(pool, call({ path: '/silent', headersTimeout: 100 })));
      assert.is(silent.code, 'UND_ERR_HEADERS_TIMEOUT');
      const { body } = await h1Call(pool, call({ path: '/stalls', bodyTimeout: 100 }));
      const read: string[] = [];
      const err = await failure(
        (async () => {
          for await (const s of body) read.push(s);
        })(),
      );
      assert.equal(read, ['first']);
      assert.is(err.code, 'UND_ERR_BODY_TIMEOUT');
    },
  );
});

test('the signal aborts a request waiting for its answer, and a body being read', async () => {
  await withServer(
    silentOrStalled,
    async (pool) => {
      const reason = new Error('closing');
      const before = new AbortController();
      const waiting = h1Call(pool, call({ path: '/silent', signal: before.signal }));
      setTimeout(() => before.abort(reason), 30);
      assert.is(await failure(waiting), reason);

      const during = new AbortController();
      const { body } = await h1Call(pool, call({ path: '/stream', signal: during.signal }));
      const reading = (async () => {
        for await (const _ of body) during.abort(reason);
      })();
      assert.is(await failure(reading), reason);

      const already = new AbortController();
      already.abort(reason);
      assert.is(await failure(h1Call(pool, call({ signal: already.signal }))), reason);
    },
  );
});

/**
 * A body of 40 small chunks, then `end` after `endMs`; the reader (body timer `bodyTimeout`) comes
 * back after `awayMs`: reading must have stopped meanwhile, and the whole body must arrive.
 */
async function readerAway(endMs: number, bodyTimeout: number, awayMs: number): Promise<void> {
  await withServer(
    (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 40; i++) res.write(`${i};`);
      setTimeout(() => res.end('end'), endMs);
    },
    async (pool) => {
      const { body } = await h1Call(pool, call({ bodyTimeout }));
      await new Promise((r) => setTimeout(r, awayMs));
      assert.ok(body.paused, 'reading stopped while the reader was away');
      let text = '';
      for await (const s of body) text += s;
      assert.is(text, Array.from({ length: 40 }, (_, i) => `${i};`).join('') + 'end');
    },
  );
}

test('a body the reader holds back does not time out meanwhile', async () => {
  await readerAway(50, 100, 400);
});

test('the body timer starts over when the reader comes back (not due just after a long pause)', async () => {
  // Timer 300 ms, refreshed at each expiry while the reader is away (300, 600, ...). The reader
  // comes back at ~580 ms; the rest of the body comes at ~740 ms. Counted from the reader's return
  // that is 160 ms, well within 300; counted from the last refresh (300 ms) it would expire at 600.
  await readerAway(740, 300, 580);
});

test('many chunks read slowly all arrive, in order (the connection pauses and resumes)', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200);
      let i = 0;
      const next = () => {
        if (i === 100) return res.end();
        res.write(`${i++};`, () => setImmediate(next));
      };
      next();
    },
    async (pool) => {
      const { body } = await h1Call(pool, call());
      let text = '';
      for await (const s of body) {
        text += s;
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.is(text, Array.from({ length: 100 }, (_, i) => `${i};`).join(''));
    },
  );
});

test.run();
