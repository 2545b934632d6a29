import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SpanBatcher } from '../../../agent/tracing/span-batcher.ts';
import { SPAN_KIND, type SpanRecord } from '../../../agent/tracing/span-record.ts';
import { waitFor } from '../../support/wait-for.ts';

const span = (i: number): SpanRecord => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: i.toString(16).padStart(16, '0'),
  parentSpanId: undefined,
  traceState: undefined,
  name: 's',
  kind: SPAN_KIND.server,
  startMs: 1,
  endMs: 2,
  attributes: [],
  common: '',
  error: false,
});

const spansIn = (body: string): number => JSON.parse(body).resourceSpans[0].scopeSpans[0].spans.length;

test('a full batch goes out at once, without waiting for the interval', async () => {
  const bodies: string[] = [];
  const b = new SpanBatcher({ send: async (body) => void bodies.push(body), resource: () => ['service.name', 'web'], batchSize: 4, intervalMs: 60_000 });
  for (let i = 0; i < 4; i++) b.add(span(i));
  await waitFor(() => b.counters.exported === 4, 2000, 'batch exported');
  assert.equal(bodies.map(spansIn), [4]);
  b.add(span(5));
  await b.close();
  assert.equal(bodies.map(spansIn), [4, 1], 'close exports the rest');
  assert.equal(b.counters, { exported: 5, droppedQueueFull: 0, droppedExportFailed: 0 });
});

test('the interval exports a partial batch', async () => {
  let sent = 0;
  const b = new SpanBatcher({ send: async (body) => void (sent += spansIn(body)), resource: () => [], batchSize: 100, intervalMs: 20 });
  b.add(span(1));
  b.add(span(2));
  await waitFor(() => sent === 2, 2000, 'interval export');
  await b.close();
});

test('a collector that does not answer: one request in flight, the queue bounded, the rest dropped and counted', async () => {
  let calls = 0;
  const b = new SpanBatcher({ send: () => (calls++, new Promise<void>(() => {})), resource: () => [], batchSize: 2, maxQueue: 3, intervalMs: 10 });
  for (let i = 0; i < 2; i++) b.add(span(i));
  await waitFor(() => calls === 1, 2000, 'first export started');
  for (let i = 0; i < 10; i++) b.add(span(i));
  assert.is(b.queued, 3);
  assert.is(b.counters.droppedQueueFull, 7);
  assert.is(calls, 1, 'never more than one request in flight');
  b.destroy();
  assert.is(b.counters.droppedQueueFull, 10, 'destroy drops what is queued');
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
