import { channel } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportRejected, exportRetryDelay } from '../../../agent/tracing/export-retry.ts';
import { OtlpHttpSender } from '../../../agent/tracing/otlp-http-sender.ts';
import { SpanBatcher } from '../../../agent/tracing/span-batcher.ts';
import { spanFixture } from '../../unit/tracing/span-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';
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
      (err: Error) => {
        assert.match(err.message, /ECONNREFUSED/);
        assert.is(exportRetryDelay(err, 0), 250, 'a refused connection is tried again');
      },
    );
  } finally {
    sender.close();
  }
});

test('a collector that answers 503 with Retry-After, then 429, then takes the batch: it arrives once, retried twice', async () => {
  const c = await new OtlpReceiver().listen();
  c.failNext.push({ status: 503, retryAfter: '0' }, { status: 429 });
  const sender = new OtlpHttpSender(c.url, 'http/protobuf');
  const b = new SpanBatcher({ send: (chunks) => sender.send(chunks), resource: () => ['service.name', 'web'], protocol: 'http/protobuf', batchSize: 2, intervalMs: 60_000 });
  try {
    b.add(spanFixture({ spanId: '0000000000000001' }));
    b.add(spanFixture({ spanId: '0000000000000002' }));
    await waitFor(() => b.counters.exported === 2, 5000, 'exported');
    assert.is(c.posts.length, 3);
    assert.equal(c.spans.map((s) => s.spanId), ['0000000000000001', '0000000000000002']);
    assert.equal(b.counters, { exported: 2, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 2 });
    assert.equal(c.rejected, []);
    // The answer the sender rejected with carried the status and the wait.
    c.failNext.push({ status: 503, retryAfter: '7' });
    await sender.send([Buffer.from([0x0a, 0x00])]).then(
      () => assert.unreachable('resolved'),
      (err: unknown) => {
        assert.instance(err, ExportRejected);
        assert.is((err as ExportRejected).status, 503);
        assert.is((err as ExportRejected).retryAfterMs, 7000);
      },
    );
  } finally {
    await b.close();
    sender.close();
    await c.close();
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
