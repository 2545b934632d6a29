/**
 * The binary protobuf encoding of spans says what the JSON one says: every case is sent through
 * a batcher in both encodings, the protobuf body decoded by protobufjs (test/support/
 * otlp-proto-decoder.ts, independent of the agent's encoder) and compared with the JSON body.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProtoSpanWriter, putVarint, varintSize } from '../../../agent/tracing/otlp-proto.ts';
import { SpanBatcher, type BatcherOptions } from '../../../agent/tracing/span-batcher.ts';
import { SPAN_KIND, type AttributeValue, type SpanRecord } from '../../../agent/tracing/span-record.ts';
import { decodeTracesProto } from '../../support/otlp-proto-decoder.ts';
import { FIXTURE_COMMON as COMMON, NO_COMMON, SPAN_CASES, spanFixture as span } from './span-fixture.ts';

const RESOURCE: AttributeValue[] = ['service.name', 'web', 'service.version', 'v2', 'a.count', 3, 'a.flag', true, 'a.ratio', 0.25, 'a.negative', -7];

/** The request bodies a batcher sends for `spans` in `protocol`. */
async function bodies(protocol: BatcherOptions['protocol'], spans: SpanRecord[], resource: AttributeValue[] = RESOURCE, o: Partial<BatcherOptions> = {}): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const b = new SpanBatcher({ send: async (c) => void out.push(Buffer.concat(c)), resource: () => resource, batchSize: 1000, intervalMs: 60_000, protocol, ...o });
  for (const s of spans) b.add(s);
  await b.close();
  return out;
}

/** Both encodings of `spans`, decoded. */
async function both(spans: SpanRecord[], resource?: AttributeValue[], o?: Partial<BatcherOptions>): Promise<{ json: unknown[]; proto: unknown[] }> {
  const json = (await bodies('http/json', spans, resource, o)).map((b) => JSON.parse(b.toString()));
  const proto = (await bodies('http/protobuf', spans, resource, o)).map((b) => decodeTracesProto(b));
  return { json, proto };
}

const CASES: Array<[string, Partial<SpanRecord>]> = [
  ...SPAN_CASES,
  ['a path with non-ASCII text', { urlTarget: '/grüße/😀' }],
  ['a method, flags and peer with non-ASCII text', { method: 'GÉT', flags: 'U\\F', peer: 'ü' }],
  ['sizes around the varint steps', { requestSize: 127, responseSize: 128, attempt: 16383, status: 16384 }],
  ['a span over 16 KiB (its length takes three bytes)', { urlTarget: `/${'x'.repeat(20_000)}` }],
  ['a span under 128 bytes is impossible, but a short one all the same', { name: '', cluster: '', upstream: undefined, requestId: undefined, urlTarget: '/', urlHost: '', peer: '', flags: '' }],
];

for (const [name, over] of CASES) {
  test(`protobuf and JSON say the same: ${name}`, async () => {
    const { json, proto } = await both([span(over), span({ ...over, spanId: '00000000000000ff' })]);
    assert.equal(proto, json);
  });
}

test('every span stays within the bound the writer gives for it, and writes nothing past its end', () => {
  const w = new ProtoSpanWriter();
  for (const [name, over] of CASES) {
    for (const sp of [span(over), span({ ...over, common: COMMON, traceState: 'k=v', parentSpanId: '2222222222222222', userAgent: 'ü'.repeat(50), error: true, attempt: 3 })]) {
      const buf = Buffer.alloc(128 * 1024, 0x7a);
      const start = 11;
      const bound = w.bound(sp);
      const end = w.write(buf, start, sp);
      assert.ok(end - start <= bound, `${name}: ${end - start} bytes, bound ${bound}`);
      assert.is(buf[start - 1], 0x7a, name);
      assert.ok(buf.subarray(end).every((b) => b === 0x7a), `${name}: nothing past the end it returned`);
    }
  }
});

test('a resource too large for the room before the spans: the head goes apart, the body still decodes', async () => {
  const big: AttributeValue[] = ['service.name', 'w'.repeat(5000)];
  const { json, proto } = await both([span(), span({ spanId: '0000000000000002' })], big);
  assert.equal(proto, json);
});

test('many spans in a batch, of many upstreams (the cache of heads), every length size', async () => {
  const spans: SpanRecord[] = [];
  for (let i = 0; i < 700; i++) {
    spans.push(span({ spanId: i.toString(16).padStart(16, '0'), upstream: `10.0.${i % 300}.1:80`, urlTarget: `/${'p'.repeat(i * 7)}`, common: i % 2 ? COMMON : NO_COMMON }));
  }
  const { json, proto } = await both(spans, RESOURCE, { batchBytes: 4 * 1024 * 1024 });
  assert.is(json.length, 1);
  assert.equal(proto, json);
});

test('the protobuf body is about half the bytes of the JSON one', async () => {
  const spans = Array.from({ length: 100 }, (_, i) => span({ spanId: i.toString(16).padStart(16, '0'), common: COMMON }));
  const [j] = await bodies('http/json', spans);
  const [p] = await bodies('http/protobuf', spans);
  assert.ok(p!.length < 0.6 * j!.length, `${p!.length} bytes against ${j!.length}`);
});

test('varints: sizes and bytes at every step to 2^53', () => {
  const buf = Buffer.alloc(16);
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 35, 2 ** 49, 2 ** 53 - 1]) {
    const end = putVarint(buf, 0, n);
    assert.is(end, varintSize(n), `size of ${n}`);
    let v = 0n;
    for (let i = end - 1; i >= 0; i--) v = (v << 7n) | BigInt(buf[i]! & 127);
    assert.is(v, BigInt(n), `value of ${n}`);
    for (let i = 0; i < end - 1; i++) assert.ok(buf[i]! & 128, 'continuation bits');
    assert.not.ok(buf[end - 1]! & 128);
  }
});

test.run();
