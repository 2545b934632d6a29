/**
 * skipDump on a real node:http server: a marked bodiless request is not dumped once its response
 * has finished; an unmarked request with a body still is, so the next request on the same
 * keep-alive connection is parsed.
 */
import { createServer, IncomingMessage, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipDump } from '../../../agent/skip-dump.ts';

type Dumpable = IncomingMessage & { _dump(): void };

function send(port: number, agent: Agent, method: string, body?: string): Promise<{ text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method, path: `/${method.toLowerCase()}`, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

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
      await send(port, agent, 'GET'),
      await send(port, agent, 'POST', 'a body nobody reads'),
      await send(port, agent, 'GET'),
      await send(port, agent, 'GET'),
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
