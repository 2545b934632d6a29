/**
 * skipDump on a real node:http server: a marked bodiless request is not dumped once its response
 * has finished; an unmarked request with a body still is, so the next request on the same
 * keep-alive connection is parsed.
 */
import { createServer, IncomingMessage, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipDump } from '../../../agent/skip-dump.ts';
import { keepAliveRequest } from '../../support/keep-alive-request.ts';

type Dumpable = IncomingMessage & { _dump(): void };

test('a bodiless request marked with skipDump is not dumped; a request with a body is, and the connection goes on', async () => {
  const proto = IncomingMessage.prototype as Dumpable;
  const original = proto._dump;
  const dumped: string[] = [];
  proto._dump = function (this: Dumpable) {
    dumped.push(this.method ?? '');
    return original.call(this);
  };
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET') skipDump(req);
    res.end(`${req.method} answered`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answers = [
      await keepAliveRequest(agent, port, { path: '/get' }),
      await keepAliveRequest(agent, port, { method: 'POST', path: '/post', body: 'a body nobody reads' }),
      await keepAliveRequest(agent, port, { path: '/get' }),
      await keepAliveRequest(agent, port, { path: '/get' }),
    ];
    assert.equal(answers.map((a) => a.text), ['GET answered', 'POST answered', 'GET answered', 'GET answered']);
    assert.equal(answers.map((a) => a.reused), [false, true, true, true], 'one keep-alive connection');
    assert.equal(dumped, ['POST'], 'only the request with a body was dumped');
  } finally {
    proto._dump = original;
    agent.destroy();
    await new Promise((r) => server.close(r));
  }
});

test.run();
