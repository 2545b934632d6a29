import { channel } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpHttpSender } from '../../../agent/tracing/otlp-http-sender.ts';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';

const NO_SPANS = '{"resourceSpans":[]}';

test('POSTs the chunks as one JSON body over one kept-alive connection; resolves on 2xx', async () => {
  const c = await new OtlpReceiver().listen();
  const connections = new Set<unknown>();
  c.server.on('connection', (s) => connections.add(s));
  const sender = new OtlpHttpSender(c.url, 'http/json');
  try {
    await sender.send([Buffer.from('{"resourceSpans":['), Buffer.from('{"scopeSpans":[]}'), Buffer.from(']}')]);
    await sender.send([Buffer.from(NO_SPANS)]);
    assert.is(c.posts.length, 2);
    assert.equal(c.rejected, []);
    assert.is(c.posts[0]!.body, '{"resourceSpans":[{"scopeSpans":[]}]}');
    assert.is(c.posts[0]!.headers['content-type'], 'application/json');
    assert.is(c.posts[0]!.headers['content-length'], String('{"resourceSpans":[{"scopeSpans":[]}]}'.length));
    assert.is(connections.size, 1);
  } finally {
    sender.close();
    await c.close();
  }
});

test('http/protobuf: the body goes as application/x-protobuf, as it is', async () => {
  const c = await new OtlpReceiver().listen();
  const sender = new OtlpHttpSender(c.url, 'http/protobuf');
  try {
    // An ExportTraceServiceRequest with one empty ResourceSpans.
    await sender.send([Buffer.from([0x0a, 0x00])]);
    assert.is(c.posts.length, 1);
    assert.equal(c.rejected, []);
    assert.is(c.posts[0]!.headers['content-type'], 'application/x-protobuf');
    assert.equal([...c.posts[0]!.raw], [0x0a, 0x00]);
  } finally {
    sender.close();
    await c.close();
  }
});

test('a collector answer other than 2xx rejects, naming the status', async () => {
  const c = await new OtlpReceiver().listen();
  c.status = 503;
  const sender = new OtlpHttpSender(c.url, 'http/json');
  try {
    await sender.send([Buffer.from(NO_SPANS)]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.match(err.message, /collector answered 503/),
    );
  } finally {
    sender.close();
    await c.close();
  }
});

test('a collector that never answers rejects after the timeout', async () => {
  const c = await new OtlpReceiver().listen();
  c.hold = true;
  const sender = new OtlpHttpSender(c.url, 'http/json', 300);
  try {
    const started = Date.now();
    await sender.send([Buffer.from(NO_SPANS)]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.match(err.message, /no answer in 300 ms/),
    );
    assert.ok(Date.now() - started < 5000);
  } finally {
    sender.close();
    await c.close();
  }
});

// node:http's client shares its parser callbacks and OutgoingMessage/stream code with the agent's
// HTTP server: one export a second made that code polymorphic and cost every proxied request CPU
// (docs/observability.md, "Cost"). The sender stays on undici, as the upstream pools do.
test('exports without node:http\'s client', async () => {
  const c = await new OtlpReceiver().listen();
  const started: unknown[] = [];
  const onStart = (m: unknown) => started.push(m);
  const ch = channel('http.client.request.start');
  ch.subscribe(onStart);
  const sender = new OtlpHttpSender(c.url, 'http/json');
  try {
    await sender.send([Buffer.from(NO_SPANS)]);
    assert.is(c.posts.length, 1);
    assert.is(started.length, 0);
  } finally {
    ch.unsubscribe(onStart);
    sender.close();
    await c.close();
  }
});

test('a collector that is not listening rejects', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const sender = new OtlpHttpSender(`http://127.0.0.1:${port}/v1/traces`, 'http/json');
  try {
    await sender.send([Buffer.from(NO_SPANS)]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.match(err.message, /ECONNREFUSED/),
    );
  } finally {
    sender.close();
  }
});

test('a collector that closes the connection without answering rejects', async () => {
  const c = await new OtlpReceiver().listen();
  c.server.on('request', (req) => req.socket.destroy());
  const sender = new OtlpHttpSender(c.url, 'http/json');
  try {
    await sender.send([Buffer.from(NO_SPANS)]).then(
      () => assert.unreachable('resolved'),
      (err: Error) => assert.ok(err instanceof Error),
    );
  } finally {
    sender.close();
    await c.close();
  }
});

test.run();
