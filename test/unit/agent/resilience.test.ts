import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplayableBody } from '../../../agent/dispatch/replayable-body.ts';
import { CircuitBreaker } from '../../../agent/resilience/circuit-breaker.ts';
import { FaultInjection } from '../../../agent/resilience/fault-injection.ts';
import { newOutlierHost, OutlierDetector, type OutlierHost } from '../../../agent/resilience/outlier-detector.ts';
import { retryBackoffMs } from '../../../agent/resilience/retry-backoff.ts';
import { retryAllowed } from '../../../agent/resilience/retry-budget.ts';
import { RetryRule, type FailureKind } from '../../../agent/resilience/retry-rule.ts';
import { TokenBucket } from '../../../agent/resilience/token-bucket.ts';

const DEFAULT_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503'];

const statusCases: Array<[string, string[], number, number | undefined, boolean]> = [
  ['default: 503', DEFAULT_ON, 503, undefined, true],
  ['default: 502 no', DEFAULT_ON, 502, undefined, false],
  ['default: grpc unavailable', DEFAULT_ON, 200, 14, true],
  ['default: grpc cancelled', DEFAULT_ON, 200, 1, true],
  ['default: grpc internal no', DEFAULT_ON, 200, 13, false],
  ['5xx: 500', ['5xx'], 500, undefined, true],
  ['5xx: 404 no', ['5xx'], 404, undefined, false],
  ['gateway-error: 504', ['gateway-error'], 504, undefined, true],
  ['gateway-error: 500 no', ['gateway-error'], 500, undefined, false],
  ['retriable-4xx: 409', ['retriable-4xx'], 409, undefined, true],
  ['retriable-4xx: 429 no', ['retriable-4xx'], 429, undefined, false],
  ['bare code needs retriable-status-codes', ['429'], 429, undefined, false],
  ['bare code', ['retriable-status-codes', '429'], 429, undefined, true],
  ['connect-failure: no status retry', ['connect-failure'], 503, undefined, false],
  ['deadline-exceeded', ['deadline-exceeded'], 200, 4, true],
];
for (const [name, on, status, grpc, want] of statusCases) {
  test(`RetryRule.retriableStatus: ${name}`, () => assert.is(new RetryRule({ attempts: 2, retryOn: on }).retriableStatus(status, grpc), want));
}

const failureCases: Array<[string, string[], FailureKind, string, boolean, boolean]> = [
  ['default: connect, POST with body', DEFAULT_ON, 'connect', 'POST', true, true],
  ['default: refused stream', DEFAULT_ON, 'refused', 'POST', false, true],
  ['default: per-try timeout no', DEFAULT_ON, 'timeout', 'GET', false, false],
  ['default: reset of a bodiless GET (keep-alive race)', DEFAULT_ON, 'reset', 'GET', false, true],
  ['default: reset of a POST no', DEFAULT_ON, 'reset', 'POST', false, false],
  ['default: reset of a PUT with body no', DEFAULT_ON, 'reset', 'PUT', true, false],
  ['5xx: reset of a POST (named)', ['5xx'], 'reset', 'POST', true, true],
  ['5xx: per-try timeout', ['5xx'], 'timeout', 'GET', false, true],
  ['gateway-error: connect', ['gateway-error'], 'connect', 'GET', false, true],
  ['reset: timeout', ['reset'], 'timeout', 'POST', false, true],
  ['reset-before-request: connect', ['reset-before-request'], 'connect', 'POST', true, true],
  ['reset-before-request: reset of POST no', ['reset-before-request'], 'reset', 'POST', false, false],
  ['retriable-4xx only: connect no', ['retriable-4xx'], 'connect', 'GET', false, false],
];
for (const [name, on, kind, method, body, want] of failureCases) {
  test(`RetryRule.retriableFailure: ${name}`, () => assert.is(new RetryRule({ attempts: 2, retryOn: on }).retriableFailure(kind, method, body), want));
}

test('RetryRule: attempts 0 and NONE', () => {
  assert.is(new RetryRule({ attempts: 0, retryOn: [] }).attempts, 0);
  assert.is(RetryRule.NONE.attempts, 0);
  assert.is(new RetryRule({ attempts: 3, retryOn: ['5xx'], perTryTimeoutMs: 200 }).perTryTimeoutMs, 200);
});

test('RetryRule: retries avoid earlier endpoints unless retryIgnorePreviousHosts is false', () => {
  assert.is(new RetryRule({ attempts: 2, retryOn: ['5xx'] }).ignorePreviousHosts, true);
  assert.is(new RetryRule({ attempts: 2, retryOn: ['5xx'], retryIgnorePreviousHosts: false }).ignorePreviousHosts, false);
});

test('RetryRule: back-off base 25 ms unless the route sets retries.backoff; the cap ten times the base (Envoy)', () => {
  const dflt = new RetryRule({ attempts: 2, retryOn: ['5xx'] });
  assert.equal([dflt.backoffBaseMs, dflt.backoffMaxMs], [25, 250]);
  const set = new RetryRule({ attempts: 2, retryOn: ['5xx'], backoffMs: 100 });
  assert.equal([set.backoffBaseMs, set.backoffMaxMs], [100, 1000]);
  const max = () => 0.999999;
  assert.equal([1, 2, 3, 4, 5].map((n) => retryBackoffMs(n, max, set.backoffBaseMs, set.backoffMaxMs)), [99, 199, 399, 799, 999]);
});

test('backoff: fully jittered, 25 ms base doubling, capped at 250 ms', () => {
  const max = () => 0.999999;
  assert.equal([1, 2, 3, 4, 5, 6].map((n) => retryBackoffMs(n, max)), [24, 49, 99, 199, 249, 249]);
  assert.is(retryBackoffMs(3, () => 0), 0);
});

const budget: Array<[string, number, number, number, boolean]> = [
  ['min concurrency: 2 retries of 1 request', 2, 1, Infinity, true],
  ['min concurrency: 3 is the floor', 3, 1, Infinity, false],
  ['20% of 100 active', 19, 100, Infinity, true],
  ['20% of 100 active reached', 20, 100, Infinity, false],
  ['maxRetries', 1, 100, 1, false],
];
for (const [name, retries, active, max, want] of budget) test(`retry budget: ${name}`, () => assert.is(retryAllowed(retries, active, max), want));

test('token bucket: starts full, refills whole intervals, caps, Retry-After', () => {
  const b = new TokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 1000 }, 0);
  assert.equal([b.take(0), b.take(10), b.take(20), b.take(30)], [true, true, true, false]);
  assert.is(b.retryAfterSeconds(300), 1);
  assert.is(b.take(999), false);
  assert.is(b.tokens(1000), 2);
  assert.is(b.tokens(5000), 3, 'capped at maxTokens');
  const slow = new TokenBucket({ maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 60_000 }, 0);
  slow.take(0);
  assert.is(slow.retryAfterSeconds(1000), 59);
  assert.ok(slow.sameAs({ maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 60_000 }));
});

const od = (over: Partial<ConstructorParameters<typeof OutlierDetector>[0]> = {}) =>
  new OutlierDetector<OutlierHost>({ consecutive5xxErrors: 3, intervalMs: 100, baseEjectionTimeMs: 1000, maxEjectionPercent: 100, minHealthPercent: 0, ...over });

test('outlier: consecutive 5xx eject at once; a success resets the count', () => {
  const d = od();
  const [a, b] = [newOutlierHost(), newOutlierHost()];
  d.setHosts([a, b]);
  assert.equal([d.record(a, 500, 0), d.record(a, 503, 0), d.record(a, 200, 0), d.record(a, 500, 0), d.record(a, 500, 0)], [false, false, false, false, false]);
  assert.is(d.record(a, 502, 0), true);
  assert.ok(a.ejected);
  assert.is(d.ejectedCount, 1);
  assert.is(d.record(a, 500, 0), false, 'an ejected host is not ejected again');
});

test('outlier: returns after base × ejections at a sweep; the multiplier grows and decays', () => {
  const d = od();
  const a = newOutlierHost();
  d.setHosts([a, newOutlierHost()]);
  for (let i = 0; i < 3; i++) d.record(a, 503, 0);
  assert.equal(d.sweep(999), []);
  assert.equal(d.sweep(1000), [a]);
  assert.not.ok(a.ejected);
  for (let i = 0; i < 3; i++) d.record(a, 503, 1100);
  assert.ok(a.ejected);
  assert.is(a.ejections, 2);
  assert.equal(d.sweep(3099), []);
  assert.equal(d.sweep(3100), [a], 'second ejection lasts 2 × base');
  d.sweep(4100);
  assert.is(a.ejections, 1, 'healthy for a base time: multiplier decays');
});

test('outlier: without the split a connect failure (local origin, as 503) counts toward consecutive 5xx', () => {
  const d = od();
  const a = newOutlierHost();
  d.setHosts([a, newOutlierHost()]);
  assert.equal([d.record(a, 503, 0, true), d.record(a, 500, 0), d.record(a, 503, 0, true)], [false, false, true]);
});

test('outlier: splitExternalLocalOriginErrors counts local-origin failures on their own (5 by default); a response resets them', () => {
  const d = od({ splitExternalLocalOriginErrors: true });
  const a = newOutlierHost();
  d.setHosts([a, newOutlierHost()]);
  // Four connect failures, then an answer (even a 5xx one: the connection worked) resets the count.
  for (let i = 0; i < 4; i++) assert.is(d.record(a, 503, 0, true), false);
  assert.is(d.record(a, 500, 0), false);
  assert.is(a.consecutive5xx, 1, 'upstream 5xx count on their own');
  for (let i = 0; i < 4; i++) assert.is(d.record(a, 503, 0, true), false);
  assert.is(a.consecutive5xx, 1, 'local-origin failures do not count as 5xx');
  assert.is(d.record(a, 503, 0, true), true, 'the fifth in a row ejects');
  const e = od({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 });
  const b = newOutlierHost();
  e.setHosts([b, newOutlierHost()]);
  assert.equal([e.record(b, 504, 0, true), e.record(b, 503, 0, true)], [false, true]);
});

test('outlier: gateway errors count separately; 500 resets them', () => {
  const d = od({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 });
  const a = newOutlierHost();
  d.setHosts([a, newOutlierHost()]);
  assert.is(d.record(a, 502, 0), false);
  assert.is(d.record(a, 500, 0), false);
  assert.is(d.record(a, 504, 0), false);
  assert.is(d.record(a, 503, 0), true);
});

test('outlier: outlierDetectionHttpErrorCodes: listed codes are the errors (non-5xx as 500), others successes (Envoy\'s failure matcher)', () => {
  const d = od({ consecutive5xxErrors: 2, consecutiveGatewayErrors: 2, httpErrorCodes: [429, 503] });
  const a = newOutlierHost();
  d.setHosts([a, newOutlierHost()]);
  assert.equal([d.responseCode(429), d.responseCode(503), d.responseCode(500), d.responseCode(200), d.responseCode(404)], [500, 503, 200, 200, 200]);
  // A 500 is not listed: it resets the count like a success.
  assert.equal([d.record(a, d.responseCode(429), 0), d.record(a, d.responseCode(500), 0), d.record(a, d.responseCode(429), 0)], [false, false, false]);
  assert.is(d.record(a, d.responseCode(429), 0), true, 'two listed codes in a row eject');
  // A listed 503 keeps its code: it counts as a gateway error too.
  const g = od({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, httpErrorCodes: [429, 503] });
  const b = newOutlierHost();
  g.setHosts([b, newOutlierHost()]);
  assert.equal([g.record(b, g.responseCode(429), 0), g.record(b, g.responseCode(503), 0), g.record(b, g.responseCode(503), 0)], [false, false, true]);
  // Without the list every code is itself.
  assert.equal([od().responseCode(500), od().responseCode(429)], [500, 429]);
});

test('outlier: maxEjectionPercent (Envoy: (ejected + 1) / hosts ≤ max), default 10% ejects none of 2', () => {
  const ten = od({ maxEjectionPercent: 10 });
  const hs = [newOutlierHost(), newOutlierHost()];
  ten.setHosts(hs);
  for (let i = 0; i < 3; i++) ten.record(hs[0]!, 500, 0);
  assert.not.ok(hs[0]!.ejected);
  const half = od({ maxEjectionPercent: 50 });
  const four = [newOutlierHost(), newOutlierHost(), newOutlierHost(), newOutlierHost()];
  half.setHosts(four);
  for (const h of four) for (let i = 0; i < 3; i++) half.record(h, 500, 0);
  assert.is(half.ejectedCount, 2);
});

test('outlier: panic below minHealthPercent', () => {
  const d = od({ minHealthPercent: 60 });
  const hs = [newOutlierHost(), newOutlierHost()];
  d.setHosts(hs);
  assert.not.ok(d.panic());
  for (let i = 0; i < 3; i++) d.record(hs[0]!, 500, 0);
  assert.ok(d.panic(), '50% healthy < 60%');
});

test('circuit breaker: go, queue, overflow', () => {
  const b = new CircuitBreaker({ tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } });
  assert.is(b.admit(), 'go');
  b.active = 1;
  assert.is(b.admit(), 'queue');
  b.pending = 1;
  assert.is(b.admit(), 'overflow');
  assert.ok(b.open);
  const r = new CircuitBreaker({ http: { http2MaxRequests: 2 } });
  r.active = 2;
  assert.is(r.admit(), 'overflow');
  assert.ok(new CircuitBreaker(undefined).unlimited);
  assert.is(new CircuitBreaker({ http: { maxRetries: 0 } }).maxRetries, Infinity, 'proto3 0 is unset');
  // A retryBudget overrides the retry circuit breaker (Envoy), and sets the budget's share and floor.
  const budgeted = new CircuitBreaker({ http: { maxRetries: 1 } }, { percent: 50, minRetryConcurrency: 0 });
  assert.equal([budgeted.maxRetries, budgeted.retryPercent, budgeted.minRetryConcurrency], [Infinity, 50, 0]);
  assert.equal([new CircuitBreaker({ http: { maxRetries: 1 } }).maxRetries, new CircuitBreaker(undefined).retryPercent], [1, 20]);
  assert.not.ok(budgeted.sameAs(new CircuitBreaker({ http: { maxRetries: 1 } })));
});

test('fault: percentages, delay and abort independent, gRPC status by name', () => {
  let r = 0;
  const f = new FaultInjection({ delay: { fixedDelayMs: 100, percent: 50 }, abort: { httpStatus: 503, percent: 10 } }, () => r);
  r = 0.05;
  assert.equal(f.decide(), { delayMs: 100, abortStatus: 503, abortGrpc: -1 });
  r = 0.3;
  assert.equal(f.decide(), { delayMs: 100, abortStatus: 0, abortGrpc: -1 });
  r = 0.7;
  assert.equal(f.decide(), { delayMs: 0, abortStatus: 0, abortGrpc: -1 });
  const g = new FaultInjection({ abort: { grpcStatus: 'UNAVAILABLE', percent: 100 } });
  assert.equal(g.decide(), { delayMs: 0, abortStatus: 200, abortGrpc: 14 });
});

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  let s = '';
  for await (const c of it) s += c.toString();
  return s;
}

test('replayable body: replays within the limit; past it, only the attempt in progress goes on', async () => {
  const small = new ReplayableBody(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 10);
  assert.is(await collect(small.stream()), 'abcd');
  assert.ok(small.replayable);
  assert.is(await collect(small.stream()), 'abcd');
  assert.equal((await small.complete())!.map(String), ['ab', 'cd']);
  const big = new ReplayableBody(Readable.from([Buffer.from('12345'), Buffer.from('67890'), Buffer.from('x')]), 6);
  assert.is(await collect(big.stream()), '1234567890x');
  assert.not.ok(big.replayable);
  assert.is(await big.complete(), null);
  assert.is(big.bytes, 11);
});

test('replayable body: a retry started mid-body gets every byte once', async () => {
  const src = new Readable({ read() {} });
  const body = new ReplayableBody(src, 100);
  const first = body.stream()[Symbol.asyncIterator]();
  src.push('a');
  assert.is(String((await first.next()).value), 'a');
  const pending = first.next();
  src.push('b');
  await pending;
  src.push('c');
  src.push(null);
  assert.is(await collect(body.stream()), 'abc');
});

test.run();
