/**
 * The CLI's control client when Docker moves the control container's published port: a request
 * that finds nothing at the old address asks once more at the one `relocate` gives; an answer
 * (even an error status) is never retried, nor is an address that did not change.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { ControlApiError, ControlClient } from '../../../cli/control-client.ts';

function serve(status: number): Promise<{ url: string; hits: () => number; close: () => void }> {
  let n = 0;
  const s = http.createServer((_req, res) => {
    n++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? { agents: [], ok: true } : { message: 'nope' }));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, hits: () => n, close: () => s.close() })));
}

/** The error `p` rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** An address where nothing listens (a port just freed). */
async function nothing(): Promise<string> {
  const s = await serve(200);
  s.close();
  return s.url;
}

test('no connection at the old address: once more at the relocated one, which the client keeps', async () => {
  const moved = await serve(200);
  const old = await nothing();
  let asked = 0;
  const c = new ControlClient(old, 't', async () => (asked++, moved.url));
  assert.equal(await c.status(), { agents: [], ok: true } as never);
  assert.is(c.baseUrl, moved.url);
  await c.status();
  assert.equal([asked, moved.hits()], [1, 2], 'relocated once; the next request goes straight to the new address');
  moved.close();
});

test('an answer is not a lost connection; the same address is not asked twice; without relocate the error stands', async () => {
  const refusing = await serve(403);
  let asked = 0;
  const c = new ControlClient(refusing.url, 't', async () => (asked++, 'http://127.0.0.1:9'));
  const answered = await rejection(c.status());
  refusing.close();
  assert.ok(answered instanceof ControlApiError && answered.status === 403, String(answered));
  assert.is(asked, 0);
  const old = await nothing();
  const same = new ControlClient(old, 't', async () => (asked++, old));
  assert.instance(await rejection(same.status()), TypeError);
  assert.is(asked, 1);
  assert.instance(await rejection(new ControlClient(old, 't').status()), TypeError);
});

test.run();
