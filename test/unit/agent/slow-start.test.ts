import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Balancer } from '../../../agent/balancing/balancer.ts';
import { SlowStart, warmupFactor, type Warming, type WarmupConfig } from '../../../agent/balancing/slow-start.ts';

interface Host extends Warming {
  name: string;
  active: number;
  identity: string;
  addedAt: number;
}
const host = (name: string, addedAt: number, active = 0): Host => ({ name, addedAt, active, identity: `${name}:80` });
const warm = (over: Partial<WarmupConfig> = {}): WarmupConfig => ({ durationMs: 60_000, minimumPercent: 10, aggression: 1, ...over });

/** A plain balancer that says when it was asked. */
function plain(hosts: Host[]): Balancer<Host> & { calls: number } {
  return { calls: 0, pick() { this.calls++; return hosts[0]; } };
}

function shares(b: Balancer<Host>, n: number, eligible: ((h: Host) => boolean) | null = null): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const h = b.pick(eligible, undefined, undefined, false)!;
    out[h.name] = (out[h.name] ?? 0) + 1;
  }
  return out;
}

test('warmupFactor: Envoy\'s slow start (linear by default, floor minimumPercent, 1 ms at least, 1 after the window)', () => {
  const w = warm();
  assert.is(warmupFactor(w, 30_000), 0.5);
  assert.is(warmupFactor(w, 1000), 0.1, 'below the floor: 10%');
  assert.is(warmupFactor(w, 60_000), 1);
  assert.is(warmupFactor(w, 90_000), 1);
  assert.is(warmupFactor(warm({ minimumPercent: 0 }), 0), 1 / 60_000, 'age 0 counts as 1 ms');
  assert.is(warmupFactor(warm({ aggression: 2 }), 15_000), 0.5, 'aggression 2: square root of 0.25');
  assert.is(warmupFactor(warm({ aggression: 0 }), 30_000), 0.5, 'aggression 0 is taken as 1 (Envoy)');
});

test('slow start over ROUND_ROBIN: a new endpoint at 10% gets 1 of every 11 picks, spread out', () => {
  const hosts = [host('old', -1e6), host('new', 0)];
  const b = new SlowStart(plain(hosts), hosts, warm(), false, () => 1000);
  const order = Array.from({ length: 22 }, () => b.pick(null, undefined, undefined, false)!.name);
  assert.equal(order.filter((n) => n === 'new').length, 2);
  assert.is.not(order.indexOf('new'), order.lastIndexOf('new') - 1, 'not back to back');
  assert.equal(shares(b, 1100), { old: 1000, new: 100 });
});

test('slow start: the share grows with age; a retry pick does not move the rotation; excluded endpoints are skipped', () => {
  const hosts = [host('a', -1e6), host('b', -1e6), host('new', 0)];
  let now = 30_000;
  const b = new SlowStart(plain(hosts), hosts, warm(), false, () => now);
  assert.equal(shares(b, 250), { a: 100, b: 100, new: 50 }, 'half weight at half the window');
  now = 59_999;
  const s = shares(b, 300);
  assert.ok(s.new! >= 99 && s.new! <= 100, `almost full weight: ${JSON.stringify(s)}`);
  const next = b.pick(null, undefined, undefined, true);
  assert.is(b.pick(null, undefined, undefined, true), next, 'retry picks do not advance');
  assert.equal(Object.keys(shares(b, 30, (h) => h.name !== 'a')).sort(), ['b', 'new']);
  assert.is(b.pick(() => false, undefined, undefined, false), undefined);
});

test('slow start: the plain balancer picks after the window, and while every endpoint has the same age', () => {
  const hosts = [host('a', 0), host('b', 0)];
  const inner = plain(hosts);
  const b = new SlowStart(inner, hosts, warm(), false, () => 1000);
  b.pick(null, undefined, undefined, false);
  assert.is(inner.calls, 1, 'joined together (the agent started): equal weights');
  const later = [host('a', -1e6), host('new', 0)];
  const inner2 = plain(later);
  let now = 1000;
  const c = new SlowStart(inner2, later, warm(), false, () => now);
  c.pick(null, undefined, undefined, false);
  assert.is(inner2.calls, 0);
  now = 60_000;
  c.pick(null, undefined, undefined, false);
  assert.is(inner2.calls, 1, 'window over');
});

test('slow start over LEAST_REQUEST: weight / (requests in flight + 1)', () => {
  const hosts = [host('old', -1e6), host('new', 0)];
  const b = new SlowStart(plain(hosts), hosts, warm({ durationMs: 2000 }), true, () => 1000);
  assert.equal(shares(b, 300), { old: 200, new: 100 }, 'idle: 1 : 0.5');
  hosts[0]!.active = 3;
  assert.equal(shares(b, 300), { old: 100, new: 200 }, '1/4 : 0.5/1');
});

test.run();
