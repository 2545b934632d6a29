import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RandomIds } from '../../../agent/random-ids.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuid: version 4, RFC 9562 variant, lower-case, distinct across pool refills', () => {
  const ids = new RandomIds();
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const u = ids.uuid();
    assert.match(u, UUID_V4);
    seen.add(u);
  }
  assert.is(seen.size, 2000);
});

test('trace ids are 32 hex digits and span ids 16, never all zero', () => {
  const ids = new RandomIds();
  for (let i = 0; i < 1000; i++) {
    assert.match(ids.traceId(), /^[0-9a-f]{32}$/);
    assert.match(ids.spanId(), /^[0-9a-f]{16}$/);
    assert.is.not(ids.spanId(), '0000000000000000');
  }
});

test('the bytes are spread: every hex digit appears in every position of a span id', () => {
  const ids = new RandomIds();
  const digits = Array.from({ length: 16 }, () => new Set<string>());
  for (let i = 0; i < 2000; i++) [...ids.spanId()].forEach((d, k) => digits[k]!.add(d));
  for (const s of digits) assert.is(s.size, 16);
});

test('hex ids stay fresh across pool refills: none repeats, each as long as asked', () => {
  const ids = new RandomIds();
  const seen = new Set<string>();
  // 4 KiB per pool: 3,000 trace ids and 3,000 span ids take about 18 refills, with ids of both sizes at the boundaries.
  for (let i = 0; i < 3000; i++) {
    const t = ids.traceId();
    const s = ids.spanId();
    assert.is(t.length, 32);
    assert.is(s.length, 16);
    seen.add(t).add(s);
  }
  assert.is(seen.size, 6000);
});

test('hex(n) gives n bytes', () => {
  const ids = new RandomIds();
  assert.match(ids.hex(8), /^[0-9a-f]{16}$/);
  assert.match(ids.hex(3), /^[0-9a-f]{6}$/);
});

test.run();
