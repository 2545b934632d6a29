/**
 * How an Exchange ends the downstream response, on a real node:http server: the last chunk of a
 * Content-Length body ends it at once (one write of the rest, no extra tick); a body without a
 * length ends when the upstream response ends. Either way the owner hears of the end exactly once,
 * and a keep-alive connection serves the next request.
 */
import { createServer, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Controller } from '../../../agent/dispatch/dispatch.ts';
import { Exchange, type ExchangeOwner } from '../../../agent/exchange.ts';
import { forwardHeaders } from '../../../agent/forward-headers.ts';
import { keepAliveRequest } from '../../support/keep-alive-request.ts';

/** What one request's handler saw. */
interface Seen {
  endedBeforeUpstreamEnd: boolean;
  done: Array<[number, string]>;
  failed: number;
}

const controller: Controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: false, reason: null, rawTrailers: undefined } as unknown as Controller;

/** Serves every request with an Exchange fed the upstream events `plan` names. */
async function serve(plan: (path: string) => { headers: Record<string, string>; chunks: string[] }): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const s: Seen = { endedBeforeUpstreamEnd: false, done: [], failed: 0 };
    seen.push(s);
    const owner: ExchangeOwner = { done: (_ex, status, flags) => s.done.push([status, flags]), failed: () => s.failed++ };
    const ex = new Exchange(owner, req, res, { direction: 'outbound', port: 8080 }, forwardHeaders(req.rawHeaders), null, false);
    const { headers, chunks } = plan(req.url ?? '/');
    ex.onResponseStart(controller, 200, headers);
    for (const c of chunks) ex.onResponseData(controller, Buffer.from(c));
    s.endedBeforeUpstreamEnd = res.writableEnded;
    ex.onResponseEnd(controller, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const plans: Record<string, { headers: Record<string, string>; chunks: string[] }> = {
  '/one': { headers: { 'content-length': '5' }, chunks: ['hello'] },
  '/three': { headers: { 'content-length': '11' }, chunks: ['hel', 'lo ', 'world'] },
  '/chunked': { headers: {}, chunks: ['no ', 'length'] },
};

test('a Content-Length body ends the response with its last chunk; one without a length at the upstream end', async () => {
  const { server, port, seen } = await serve((p) => plans[p]!);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await keepAliveRequest(agent, port, { path: '/one' });
    const b = await keepAliveRequest(agent, port, { path: '/three' });
    const c = await keepAliveRequest(agent, port, { path: '/chunked' });
    assert.equal([a.text, b.text, c.text], ['hello', 'hello world', 'no length']);
    assert.equal([a.status, b.status, c.status], [200, 200, 200]);
    assert.ok(b.reused && c.reused, 'one keep-alive connection served all three');
    assert.equal(seen.map((s) => s.endedBeforeUpstreamEnd), [true, true, false]);
    for (const s of seen) {
      assert.equal(s.done, [[200, '-']], 'the owner hears of the end once');
      assert.is(s.failed, 0);
    }
  } finally {
    agent.destroy();
    await new Promise((r) => server.close(r));
  }
});

test.run();
