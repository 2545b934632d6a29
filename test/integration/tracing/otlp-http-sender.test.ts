import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpHttpSender } from '../../../agent/tracing/otlp-http-sender.ts';

/** A loopback collector that answers each POST with `answer` (or never, when it returns false). */
async function collector(answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => boolean | void): Promise<{ url: string; bodies: { headers: IncomingMessage['headers']; body: string }[]; server: Server }> {
  const bodies: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      bodies.push({ headers: req.headers, body: body.toString() });
      answer(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies, server };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

test('POSTs the chunks as one JSON body over one kept-alive connection; resolves on 2xx', async () => {
  const c = await collector((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  const connections = new Set<unknown>();
  c.server.on('connection', (s) => connections.add(s));
  const sender = new OtlpHttpSender(c.url);
  try {
    await sender.send([Buffer.from('{"resourceSpans":['), Buffer.from('{"a":1}'), Buffer.from(']}')]);
    await sender.send([Buffer.from('{"b":2}')]);
    assert.is(c.bodies.length, 2);
    assert.is(c.bodies[0]!.body, '{"resourceSpans":[{"a":1}]}');
    assert.is(c.bodies[0]!.headers['content-type'], 'application/json');
    assert.is(c.bodies[0]!.headers['content-length'], String('{"resourceSpans":[{"a":1}]}'.length));
    assert.is(connections.size, 1);
  } finally {
    sender.close();
    await close(c.server);
  }
});

test('a collector answer other than 2xx rejects, naming the status', async () => {
  const c = await collector((_req, _body, res) => {
    res.writeHead(503);
    res.end('busy');
  });
  const sender = new OtlpHttpSender(c.url);
  try {
    await sender.send([Buffer.from('{}')]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.match(err.message, /collector answered 503/),
    );
  } finally {
    sender.close();
    await close(c.server);
  }
});

test('a collector that never answers rejects after the timeout', async () => {
  const c = await collector(() => false);
  const sender = new OtlpHttpSender(c.url, 300);
  try {
    const started = Date.now();
    await sender.send([Buffer.from('{}')]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.match(err.message, /no answer in 300 ms/),
    );
    assert.ok(Date.now() - started < 5000);
  } finally {
    sender.close();
    await close(c.server);
  }
});

test.run();
