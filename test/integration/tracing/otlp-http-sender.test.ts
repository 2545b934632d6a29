import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpHttpSender } from '../../../agent/tracing/otlp-http-sender.ts';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';

const NO_SPANS = '{"resourceSpans":[]}';

test('POSTs the chunks as one JSON body over one kept-alive connection; resolves on 2xx', async () => {
  const c = await new OtlpReceiver().listen();
  const connections = new Set<unknown>();
  c.server.on('connection', (s) => connections.add(s));
  const sender = new OtlpHttpSender(c.url);
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

test('a collector answer other than 2xx rejects, naming the status', async () => {
  const c = await new OtlpReceiver().listen();
  c.status = 503;
  const sender = new OtlpHttpSender(c.url);
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
  const sender = new OtlpHttpSender(c.url, 300);
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

test.run();
