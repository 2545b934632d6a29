import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spanJson } from '../../../agent/tracing/otlp-json.ts';
import { SPAN_KIND, type SpanRecord } from '../../../agent/tracing/span-record.ts';
import { SpanWriter } from '../../../agent/tracing/span-writer.ts';
import { FIXTURE_COMMON as COMMON, SPAN_CASES, spanFixture as span } from './span-fixture.ts';


/** Writes `sp` after some bytes already in the buffer; checks it left them and stayed within its bound. */
function written(w: SpanWriter, sp: SpanRecord): string {
  const buf = Buffer.alloc(64 * 1024, 0x7a);
  const start = 17;
  const bound = w.bound(sp);
  const end = w.write(buf, start, sp);
  assert.ok(end - start <= bound, `${end - start} bytes, bound ${bound}`);
  assert.is(buf[start - 1], 0x7a);
  assert.is(buf[end], 0x7a, 'nothing written past the end it returned');
  return buf.toString('utf8', start, end);
}

const CASES: Array<[string, Partial<SpanRecord>]> = [
  ...SPAN_CASES,
  ['a path with non-ASCII text and a lone surrogate', { urlTarget: '/grüße/\ud800/😀' }],
  ['a user agent with DEL and a newline', { userAgent: 'x\u007fy\nz' }],
  ['a method, flags and peer that need escaping', { method: 'G"T', flags: 'U\\F', peer: 'ü' }],
  ['a negative size (the generic path)', { requestSize: -1 }],
  ['a fractional status (the generic path)', { status: 200.5 }],
  ['a time beyond the exact range (the generic path)', { endMs: 1e13 }],
  ['a time that is not a number (the generic path)', { startMs: NaN }],
  ['an id that is not hex (the generic path)', { spanId: 'zz"zz' }],
];

for (const [name, over] of CASES) {
  test(`the bytes of spanJson: ${name}`, () => {
    const sp = span(over);
    const w = new SpanWriter();
    const text = written(w, sp);
    assert.is(text, Buffer.from(spanJson(sp), 'utf8').toString('utf8'));
    // Once more from the cache of heads.
    assert.is(written(w, sp), text);
  });
}

test('the cache of heads: spans of other upstreams, names, kinds, protocols or shared attributes are never mixed up', () => {
  const w = new SpanWriter();
  const variants: Array<Partial<SpanRecord>> = [
    {},
    { upstream: '10.0.0.4:8080', peer: '10.0.0.4' },
    { name: 'web.default.svc.cluster.local:80/*' },
    { kind: SPAN_KIND.server },
    { protocol: 'HTTP/2' },
    { cluster: 'outbound|9090||api.default' },
    { common: COMMON },
    { upstream: undefined },
    { upstream: undefined, cluster: '-' },
  ];
  for (let round = 0; round < 3; round++) {
    for (const [i, over] of variants.entries()) {
      const sp = span({ ...over, spanId: `${round}${i}`.padStart(16, '0') });
      assert.is(written(w, sp), spanJson(sp), `variant ${i}, round ${round}`);
    }
  }
});

test('more upstreams than the cache keeps: still the right bytes', () => {
  const w = new SpanWriter();
  for (let i = 0; i < 1300; i++) {
    const sp = span({ upstream: `10.0.${i >> 8}.${i & 255}:8080`, responseSize: i });
    assert.is(written(w, sp), spanJson(sp));
  }
});

test('integers of every magnitude to 2^53 and times to the microsecond: the same digits as spanJson', () => {
  const w = new SpanWriter();
  const edges = [0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 99_999_999, 100_000_000, 1e8 * 21_474_836 + 99_999_999, 2 ** 53 - 1, 2 ** 53 - 2, 9e15 - 1, 1e15];
  const sizes = [...edges];
  for (let i = 0; i < 5000; i++) sizes.push(Math.floor(Math.random() * 10 ** (1 + Math.random() * 15)));
  for (const n of sizes) {
    const sp = span({ requestSize: n, responseSize: Math.min(n * 3, 2 ** 53 - 1), startMs: (n % 9e12) + 0.001, endMs: Math.random() * 9e12 });
    if (written(w, sp) !== spanJson(sp)) assert.unreachable(`${n}: ${written(w, sp)}`);
  }
});

test('the output parses as the span spanJson describes', () => {
  const sp = span({ common: COMMON, urlTarget: '/ü?q="1"' });
  const doc = JSON.parse(written(new SpanWriter(), sp));
  assert.is(doc.attributes.find((a: { key: string }) => a.key === 'http.url').value.stringValue, 'http://api:8080/ü?q="1"');
  assert.is(doc.startTimeUnixNano, '1700000000123500000');
});

test.run();
