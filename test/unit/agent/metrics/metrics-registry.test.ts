/**
 * The agent's own registry writes the same exposition bytes as prom-client (which it replaced in
 * the agent) for the same metrics and observations.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as prom from 'prom-client';
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../../../../agent/metrics/metrics-registry.ts';
import { escapeLabelValue, formatValue } from '../../../../agent/metrics/exposition.ts';

const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
const NASTY = ['plain', 'with "quotes"', 'back\\slash', 'new\nline', 'ünïcødé ✓ 😀', '', 'a,b:c=d{}'];

test('content type is the text format 0.0.4, as prom-client', () => {
  assert.is(PROMETHEUS_CONTENT_TYPE, prom.Registry.PROMETHEUS_CONTENT_TYPE);
});

test('an empty registry', async () => {
  assert.is(new MetricsRegistry().text(), await new prom.Registry().metrics());
});

test('counters, gauges and histograms with and without labels, escaping, sums and +Inf', async () => {
  const ours = new MetricsRegistry();
  const theirs = new prom.Registry();
  const registers = [theirs];
  const help = 'Help with a \\ backslash\nand a newline "quoted"';

  const c1 = ours.counter({ name: 'c_total', help, labelNames: ['a', 'b'] });
  const p1 = new prom.Counter({ name: 'c_total', help, labelNames: ['a', 'b'], registers });
  const c2 = ours.counter({ name: 'c_plain_total', help: 'no labels' });
  const p2 = new prom.Counter({ name: 'c_plain_total', help: 'no labels', registers });
  ours.counter({ name: 'c_unused_total', help: 'never incremented', labelNames: ['x'] });
  new prom.Counter({ name: 'c_unused_total', help: 'never incremented', labelNames: ['x'], registers });
  const g1 = ours.gauge({ name: 'g', help: 'labelled gauge', labelNames: ['k'] });
  const q1 = new prom.Gauge({ name: 'g', help: 'labelled gauge', labelNames: ['k'], registers });
  ours.gauge({ name: 'g_plain', help: 'unset gauge' });
  new prom.Gauge({ name: 'g_plain', help: 'unset gauge', registers });
  const h1 = ours.histogram({ name: 'h_ms', help: 'histogram', labelNames: ['a', 'b'], buckets: BUCKETS });
  const k1 = new prom.Histogram({ name: 'h_ms', help: 'histogram', labelNames: ['a', 'b'], buckets: BUCKETS, registers });
  const h2 = ours.histogram({ name: 'h_plain', help: 'histogram without labels', buckets: [1, 10, 1000000, 10000000] });
  const k2 = new prom.Histogram({ name: 'h_plain', help: 'histogram without labels', buckets: [1, 10, 1000000, 10000000], registers });

  const values = [0, 0.1, 0.5, 0.2, 1, 4.999, 5, 7.25, 1e6, 3600000, 3600001, 1e9, 0.30000000000000004];
  NASTY.forEach((a, i) => {
    const b = NASTY[(i + 3) % NASTY.length]!;
    for (let n = 0; n <= i; n++) {
      c1.labels(a, b).inc();
      p1.inc({ a, b });
    }
    c1.labels(a, b).inc(2.5);
    p1.inc({ a, b }, 2.5);
    g1.labels(a).set(i - 2.5);
    q1.set({ k: a }, i - 2.5);
    for (const v of values.slice(i)) {
      h1.labels(a, b).observe(v * (i + 1));
      k1.observe({ a, b }, v * (i + 1));
    }
  });
  c2.inc(3);
  p2.inc(3);
  for (const v of values) {
    h2.labels().observe(v);
    k2.observe(v);
  }
  assert.fixture(ours.text(), await theirs.metrics());
});

test('series made by rendered label text are the ones made by label values', () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'] });
  c.labels('1', 'q"uote').inc();
  c.withText(`a="1",b="${escapeLabelValue('q"uote')}"`).inc();
  assert.ok(r.text().endsWith('x_total{a="1",b="q\\"uote"} 2\n'));
});

test('collect hooks run at render; reset drops labelled series (unlabelled go back to 0)', async () => {
  const ours = new MetricsRegistry();
  const theirs = new prom.Registry();
  let round = 0;
  ours.gauge({ name: 'live', help: 'from state', labelNames: ['cluster'], collect(g) {
    g.reset();
    for (let i = 0; i < round; i++) g.labels(`c${i}`).set(i * 10);
  } });
  new prom.Gauge({ name: 'live', help: 'from state', labelNames: ['cluster'], registers: [theirs], collect() {
    this.reset();
    for (let i = 0; i < round; i++) this.set({ cluster: `c${i}` }, i * 10);
  } });
  ours.counter({ name: 'hs_total', help: 'counts read at scrape', labelNames: ['direction', 'resumed'], collect(c) {
    c.reset();
    c.labels('in', 'false').inc(round);
    c.labels('in', 'true').inc(0);
  } });
  new prom.Counter({ name: 'hs_total', help: 'counts read at scrape', labelNames: ['direction', 'resumed'], registers: [theirs], collect() {
    this.reset();
    this.labels('in', 'false').inc(round);
    this.labels('in', 'true').inc(0);
  } });
  ours.gauge({ name: 'expiry', help: 'set only when known', collect(g) {
    if (round === 2) g.set(42);
  } });
  new prom.Gauge({ name: 'expiry', help: 'set only when known', registers: [theirs], collect() {
    if (round === 2) this.set(42);
  } });
  for (round = 0; round < 4; round++) assert.fixture(ours.text(), await theirs.metrics(), `round ${round}`);
});

test('a counter never goes back; non-finite observations are dropped', () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 'n_total', help: 'n' });
  c.inc(2);
  c.inc(-1);
  c.inc(Number.NaN);
  c.inc(Infinity);
  const h = r.histogram({ name: 'h', help: 'h', buckets: [1] });
  h.labels().observe(Number.NaN);
  h.labels().observe(Infinity);
  assert.match(r.text(), /\nn_total 2\n/);
  assert.match(r.text(), /\nh_count 0\n/);
});

test('formatValue as prom-client', () => {
  assert.equal([1, 0.1, -2, 1e21, Infinity, -Infinity, Number.NaN].map(formatValue), ['1', '0.1', '-2', '1e+21', '+Inf', '-Inf', 'Nan']);
});

test('registering a name twice throws', () => {
  const r = new MetricsRegistry();
  r.counter({ name: 'dup', help: 'x' });
  assert.throws(() => r.gauge({ name: 'dup', help: 'x' }), /already registered/);
});

test.run();
