import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportRejected } from '../../../agent/tracing/export-retry.ts';
import { SpanBatcher } from '../../../agent/tracing/span-batcher.ts';
import type { SpanRecord } from '../../../agent/tracing/span-record.ts';
import { spanFixture } from './span-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';

const span = (i: number, name = 's'): SpanRecord => spanFixture({ spanId: i.toString(16).padStart(16, '0'), name });

/** The spans of one request body (which must be one OTLP/JSON document). */
const spansIn = (chunks: Buffer[]): Array<{ spanId: string; name: string }> => JSON.parse(Buffer.concat(chunks).toString()).resourceSpans[0].scopeSpans[0].spans;

test('a full batch goes out at once, without waiting for the interval; close sends the rest', async () => {
  const bodies: Buffer[][] = [];
  const b = new SpanBatcher({ send: async (c) => void bodies.push(c.map((x) => Buffer.from(x))), resource: () => ['service.name', 'web'], batchSize: 4, intervalMs: 60_000 });
  for (let i = 0; i < 4; i++) b.add(span(i));
  await waitFor(() => b.counters.exported === 4, 2000, 'batch exported');
  assert.equal(bodies.map((c) => spansIn(c).length), [4]);
  assert.equal(JSON.parse(Buffer.concat(bodies[0]!).toString()).resourceSpans[0].resource.attributes, [{ key: 'service.name', value: { stringValue: 'web' } }]);
  b.add(span(5));
  await b.close();
  assert.equal(bodies.map((c) => spansIn(c).map((s) => s.spanId)), [['0000000000000000', '0000000000000001', '0000000000000002', '0000000000000003'], ['0000000000000005']]);
  assert.equal(b.counters, { exported: 5, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 0 });
});

test('the interval exports a partial batch; buffers are reused without mixing old bytes in', async () => {
  const got: string[] = [];
  const b = new SpanBatcher({ send: async (c) => void got.push(...spansIn(c).map((s) => s.name)), resource: () => [], batchSize: 100, intervalMs: 20 });
  b.add(span(1, 'a-long-name-first'));
  b.add(span(2, 'b'));
  await waitFor(() => got.length === 2, 2000, 'interval export');
  b.add(span(3, 'c'));
  await waitFor(() => got.length === 3, 2000, 'second export');
  assert.equal(got, ['a-long-name-first', 'b', 'c']);
  await b.close();
});

test('a body is one slice of its batch buffer; a resource too large for the room before the spans goes apart', async () => {
  const bodies: Buffer[][] = [];
  let resource: string[] = ['service.name', 'web'];
  const b = new SpanBatcher({ send: async (c) => void bodies.push(c.map((x) => Buffer.from(x))), resource: () => resource, batchSize: 2, intervalMs: 60_000 });
  b.add(span(1));
  b.add(span(2));
  await waitFor(() => b.counters.exported === 2, 2000, 'first batch');
  resource = ['service.name', 'w'.repeat(5000)];
  b.add(span(3));
  b.add(span(4));
  await waitFor(() => b.counters.exported === 4, 2000, 'second batch');
  resource = ['service.name', 'api'];
  b.add(span(5));
  await b.close();
  assert.equal(bodies.map((c) => c.length), [1, 2, 1]);
  const doc = (c: Buffer[]) => JSON.parse(Buffer.concat(c).toString()).resourceSpans[0];
  assert.equal(bodies.map((c) => doc(c).resource.attributes[0].value.stringValue.length), [3, 5000, 3]);
  assert.equal(bodies.map((c) => spansIn(c).map((s) => Number.parseInt(s.spanId, 16))), [[1, 2], [3, 4], [5]]);
});

test('a batch is sealed when its buffer is full; non-ASCII text is measured in bytes', async () => {
  const sizes: number[] = [];
  const b = new SpanBatcher({ send: async (c) => void sizes.push(spansIn(c).length), resource: () => [], batchSize: 100, batchBytes: 4000, intervalMs: 60_000 });
  // ~1,200 characters but ~1,500 bytes each: counted in characters, three would overflow the buffer.
  for (let i = 0; i < 5; i++) b.add(span(i, 'ü'.repeat(300)));
  await b.close();
  assert.equal(sizes, [2, 2, 1]);
  assert.is(sizes.reduce((a, x) => a + x, 0), 5);
  assert.is(b.counters.exported, 5);
});

test('a collector that does not answer: one request in flight, memory bounded, the rest dropped and counted', async () => {
  let calls = 0;
  const b = new SpanBatcher({ send: () => (calls++, new Promise<void>(() => {})), resource: () => [], batchSize: 2, maxBatches: 2, intervalMs: 60_000 });
  for (let i = 0; i < 2; i++) b.add(span(i));
  await waitFor(() => calls === 1, 2000, 'first export started');
  for (let i = 0; i < 10; i++) b.add(span(i));
  await waitFor(() => b.queued + b.counters.droppedQueueFull === 10, 2000, 'encoded');
  assert.is(b.queued, 2, 'one more batch waits');
  assert.is(b.counters.droppedQueueFull, 8);
  assert.is(calls, 1, 'never more than one request in flight');
  b.destroy();
  assert.is(b.counters.droppedQueueFull, 10, 'destroy drops what is queued');
});

test('a retryable answer sends the same body again (after Retry-After), and the queue waits for it', async () => {
  const sent: string[][] = [];
  const answers = [new ExportRejected(503, 30), new ExportRejected(429, 0)];
  const b = new SpanBatcher({
    send: async (c) => {
      sent.push(spansIn(c).map((s) => s.spanId));
      const a = answers.shift();
      if (a) throw a;
    },
    resource: () => [],
    batchSize: 2,
    intervalMs: 60_000,
  });
  b.add(span(1));
  b.add(span(2));
  await new Promise((r) => setImmediate(r));
  b.add(span(3));
  b.add(span(4));
  await waitFor(() => b.counters.exported === 4, 2000, 'both batches exported');
  const first = ['0000000000000001', '0000000000000002'];
  assert.equal(sent, [first, first, first, ['0000000000000003', '0000000000000004']], 'the first batch three times, then the second');
  assert.equal(b.counters, { exported: 4, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 2 });
  await b.close();
});

test('an answer that is not retryable drops the batch at once; retries end after three', async () => {
  let calls = 0;
  const bad = new SpanBatcher({
    send: async () => {
      if (calls++ === 0) throw new ExportRejected(400, undefined);
    },
    resource: () => [],
    batchSize: 1,
    intervalMs: 60_000,
  });
  bad.add(span(1));
  await waitFor(() => bad.counters.droppedExportFailed === 1, 2000, '400 dropped');
  assert.is(calls, 1);
  assert.is(bad.counters.exportRetries, 0);
  await bad.close();
  let tries = 0;
  const down = new SpanBatcher({ send: async () => { tries++; throw new ExportRejected(502, 0); }, resource: () => [], batchSize: 1, intervalMs: 60_000 });
  down.add(span(1));
  await waitFor(() => down.counters.droppedExportFailed === 1, 2000, 'dropped after its retries');
  assert.is(tries, 4, 'one try and three retries');
  assert.is(down.counters.exportRetries, 3);
  await down.close();
});

test('close does not wait out a retry: the waiting batch is dropped, the rest sent once', async () => {
  const b = new SpanBatcher({ send: async () => { throw new ExportRejected(503, 60_000); }, resource: () => [], batchSize: 1, intervalMs: 60_000 });
  b.add(span(1));
  await waitFor(() => b.queued === 0, 2000, 'in flight');
  const t0 = Date.now();
  await b.close();
  assert.ok(Date.now() - t0 < 4000, 'not the 5 s the Retry-After asked for');
  assert.is(b.counters.droppedExportFailed, 1);
  assert.is(b.counters.exportRetries, 0);
});

test('a failed export counts its spans as dropped and the next batch still goes', async () => {
  let fail = true;
  const b = new SpanBatcher({ send: async () => { if (fail) throw new Error('503'); }, resource: () => [], batchSize: 2, intervalMs: 60_000 });
  b.add(span(1));
  b.add(span(2));
  await waitFor(() => b.counters.droppedExportFailed === 2, 2000, 'failure counted');
  fail = false;
  b.add(span(3));
  b.add(span(4));
  await waitFor(() => b.counters.exported === 2, 2000, 'next batch exported');
  await b.close();
  b.add(span(5));
  assert.is(b.counters.droppedQueueFull, 1, 'closed: dropped');
});

test.run();
