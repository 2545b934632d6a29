/**
 * Timeouts, retries, circuit breaking and outlier detection, end to end through one agent process
 * on loopback, with numbers: retry counts, timeouts within ±100 ms, 503 UO at the limit, ejection
 * and return after baseEjectionTime.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpRouteSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { closedPort, metricValue, SnapshotFiles, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';
import { appEndpoint, Client, logEntry, ok, ScriptedApp, status, trafficService, type Behaviour } from './traffic-harness.ts';

let files: SnapshotFiles;
let agent: RunningAgent;
let client: Client;
let admin: TestClient;
const apps: Record<string, ScriptedApp> = {};
const held: Array<() => void> = [];

const to = (service: string) => [{ destination: { service, namespace: 'default' }, weight: 100 }];
/** Never answers (until the test releases it). */
const hang: Behaviour = (req, res, body, app) => held.push(() => ok(req, res, body, app));

test.before(async () => {
  files = new SnapshotFiles();
  client = new Client();
  admin = new TestClient();
  for (const name of ['flaky', 'down', 'slow', 'slow2', 'limit', 'od-good', 'od-bad', 'dflt-a', 'dflt-b', 'mrpc', 'backoff', 'sticky-a', 'sticky-b', 'aged', 'split-ok', 'budget', 'codes-good', 'codes-bad']) apps[name] = await new ScriptedApp(name).listen();
  const route = (name: string, extra: Partial<HttpRouteSnapshot>): HttpRouteSnapshot[] => [{ name, match: [], route: to(name), ...extra }];
  const services = [
    trafficService('flaky', 8080, [appEndpoint(apps.flaky!, '10.4.0.1', 8080)], { http: route('flaky', { retries: { attempts: 3, retryOn: ['5xx'] } }) }),
    trafficService('down', 8080, [appEndpoint(apps.down!, '10.4.0.2', 8080)], { http: route('down', { retries: { attempts: 2, retryOn: ['gateway-error'] } }) }),
    trafficService('slow', 8080, [appEndpoint(apps.slow!, '10.4.0.3', 8080)], { http: route('slow', { timeoutMs: 300, retries: { attempts: 0, retryOn: [] } }) }),
    trafficService('slow2', 8080, [appEndpoint(apps.slow2!, '10.4.0.4', 8080), appEndpoint(apps.flaky!, '10.4.0.5', 8080)], {
      http: route('slow2', { timeoutMs: 2000, retries: { attempts: 1, perTryTimeoutMs: 200, retryOn: ['5xx'] } }),
      policy: { loadBalancer: { simple: 'ROUND_ROBIN' } },
    }),
    trafficService('limit', 8080, [appEndpoint(apps.limit!, '10.4.0.6', 8080)], {
      http: route('limit', { retries: { attempts: 0, retryOn: [] } }),
      policy: { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } } },
    }),
    trafficService('od', 8080, [appEndpoint(apps['od-good']!, '10.4.0.7', 8080), appEndpoint(apps['od-bad']!, '10.4.0.8', 8080)], {
      http: route('od', { retries: { attempts: 0, retryOn: [] } }),
      policy: {
        loadBalancer: { simple: 'ROUND_ROBIN' },
        outlierDetection: { consecutive5xxErrors: 3, intervalMs: 100, baseEjectionTimeMs: 1000, maxEjectionPercent: 50, minHealthPercent: 0 },
      },
    }),
    // DestinationRule outlierDetectionHttpErrorCodes [429]: 429s eject, 500s count as successes.
    trafficService('codes', 8080, [appEndpoint(apps['codes-good']!, '10.4.0.19', 8080), appEndpoint(apps['codes-bad']!, '10.4.0.20', 8080)], {
      http: route('codes', { retries: { attempts: 0, retryOn: [] } }),
      policy: {
        loadBalancer: { simple: 'ROUND_ROBIN' },
        outlierDetection: { consecutive5xxErrors: 2, httpErrorCodes: [429], intervalMs: 100, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50, minHealthPercent: 0 },
      },
    }),
    trafficService('mrpc', 8080, [appEndpoint(apps.mrpc!, '10.4.0.11', 8080)], {
      policy: { connectionPool: { http: { maxRequestsPerConnection: 2 }, tcp: { connectTimeoutMs: 2000 } } },
    }),
    trafficService('backoff', 8080, [appEndpoint(apps.backoff!, '10.4.0.12', 8080)], {
      http: route('backoff', { retries: { attempts: 1, retryOn: ['5xx'], backoffMs: 1000 } }),
    }),
    // One endpoint refuses connections: with local-origin errors split, two connect failures in a
    // row eject it although 5xx ejection is off.
    trafficService('split', 8080, [
      { container: 'split-dead', workload: 'split', address: '10.4.0.16', port: 8080, dial: { address: '127.0.0.1', port: await closedPort() }, meshed: false, labels: {} },
      appEndpoint(apps['split-ok']!, '10.4.0.17', 8080),
    ], {
      http: route('split', { retries: { attempts: 0, retryOn: [] } }),
      policy: {
        loadBalancer: { simple: 'ROUND_ROBIN' },
        outlierDetection: { consecutive5xxErrors: 0, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2, intervalMs: 100, baseEjectionTimeMs: 30_000, maxEjectionPercent: 100, minHealthPercent: 0 },
      },
    }),
    trafficService('aged', 8080, [appEndpoint(apps.aged!, '10.4.0.15', 8080)], {
      policy: { connectionPool: { tcp: { maxConnectionDurationMs: 300 } } },
    }),
    // Two routes over the same two endpoints, balanced by a header hash: one retries elsewhere
    // (Istio's default), one may retry the same endpoint (retryIgnorePreviousHosts: false).
    trafficService('sticky', 8080, [appEndpoint(apps['sticky-a']!, '10.4.0.13', 8080), appEndpoint(apps['sticky-b']!, '10.4.0.14', 8080)], {
      http: [
        { name: 'same', match: [{ headers: { 'x-same': { exact: '1' } } }], route: to('sticky'), retries: { attempts: 1, retryOn: ['5xx'], retryIgnorePreviousHosts: false } },
        { name: 'other', match: [], route: to('sticky'), retries: { attempts: 1, retryOn: ['5xx'] } },
      ],
      policy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
    }),
    // DestinationRule retryBudget {percent: 0, minRetryConcurrency: 0}: no retry may be in flight.
    trafficService('budget', 8080, [appEndpoint(apps.budget!, '10.4.0.18', 8080)], {
      http: route('budget', { retries: { attempts: 3, retryOn: ['5xx'] } }),
      policy: { retryBudget: { percent: 0, minRetryConcurrency: 0 } },
    }),
    // No VirtualService: Istio's default retry policy (503 and connect failures, 2 retries).
    trafficService('dflt', 8080, [appEndpoint(apps['dflt-a']!, '10.4.0.9', 8080), appEndpoint(apps['dflt-b']!, '10.4.0.10', 8080)]),
  ];
  agent = await startAgent(['--snapshot', files.write(snapshot(1, 'web', services)), '--outbound', 'flaky:8080=0']);
});

test.after(async () => {
  for (const h of held.splice(0)) h();
  await client.close();
  await admin.close();
  await agent?.stop();
  await Promise.all(Object.values(apps).map((a) => a.close()));
  files.cleanup();
});

const port = () => agent.ports.outbound['flaky:8080']!;
const get = (host: string, path: string, id?: string) => client.send(port(), path, { host, headers: id ? { 'x-request-id': id } : {} });

test('retries: two 503s then a 200 → the client sees 200 after 3 attempts', async () => {
  let n = 0;
  apps.flaky!.behave = (req, res, body, app) => (++n <= 2 ? status(503) : ok)(req, res, body, app);
  const r = await get('flaky', '/r1', 'retry-1');
  assert.is(r.status, 200);
  assert.is(apps.flaky!.seen('/r1').length, 3);
  const e = await logEntry(agent, 'retry-1');
  assert.is(e.attempts, 3);
  assert.is(e.response_flags, '-');
  apps.flaky!.behave = ok;
});

test('retries: attempts 3 on an always-500 upstream → exactly 4 tries, the 500 passes with URX', async () => {
  apps.flaky!.behave = status(500);
  const r = await get('flaky', '/r2', 'retry-2');
  assert.is(r.status, 500);
  assert.is(apps.flaky!.seen('/r2').length, 4);
  assert.is((await logEntry(agent, 'retry-2')).response_flags, 'URX');
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.ok(metricValue(m, 'dockmesh_upstream_retries_total', { cluster: 'outbound|8080||flaky.default', reason: '500' }) >= 3);
  apps.flaky!.behave = ok;
});

test('DestinationRule retryBudget 0% with no floor: attempts 3 on an always-500 upstream → one try, the retry counted as overflow', async () => {
  apps.budget!.behave = status(500);
  const r = await get('budget', '/b1', 'budget-1');
  assert.is(r.status, 500);
  assert.is(apps.budget!.seen('/b1').length, 1);
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_upstream_retry_overflow_total', { cluster: 'outbound|8080||budget.default' }), 1);
  apps.budget!.behave = ok;
});

test('retries.backoff 1s: the retry waits up to 1 s (fully jittered), not up to the default 25 ms', async () => {
  // Each path fails once, then answers; the gap between its two tries is the retry's back-off.
  const first = new Map<string, number>();
  const gaps: number[] = [];
  apps.backoff!.behave = (req, res, body, app) => {
    const at = first.get(req.url!);
    if (at === undefined) {
      first.set(req.url!, performance.now());
      return status(503)(req, res, body, app);
    }
    gaps.push(performance.now() - at);
    return ok(req, res, body, app);
  };
  // Three at a time: the retry budget lets three retries be in flight at once.
  for (let batch = 0; batch < 3; batch++) {
    const rs = await Promise.all([0, 1, 2].map((i) => get('backoff', `/b${batch}-${i}`)));
    assert.equal(rs.map((r) => r.status), [200, 200, 200]);
  }
  assert.is(gaps.length, 9);
  // With the default base every first retry waits under 25 ms; with 1 s, nine of them all waiting
  // under 300 ms has a probability of 0.3^9 (2e-5).
  assert.ok(Math.max(...gaps) > 300, `gaps ${gaps.map(Math.round).join(', ')} ms`);
  assert.ok(Math.max(...gaps) < 1000 + 250, `gaps ${gaps.map(Math.round).join(', ')} ms`);
  apps.backoff!.behave = ok;
});

test('retryIgnorePreviousHosts: by default a retry goes to another endpoint; false lets the hash pick the same one again', async () => {
  apps['sticky-a']!.behave = status(503);
  apps['sticky-b']!.behave = ok;
  // A user whose hash lands on sticky-a (only a request first sent there reaches it).
  let user = '';
  for (let i = 0; i < 50 && !user; i++) {
    const before = apps['sticky-a']!.seen('/probe').length;
    await client.send(port(), '/probe', { host: 'sticky', headers: { 'x-user': `u${i}` } });
    if (apps['sticky-a']!.seen('/probe').length > before) user = `u${i}`;
  }
  assert.ok(user, 'a user hashed to sticky-a');
  const other = await client.send(port(), '/other', { host: 'sticky', headers: { 'x-user': user } });
  assert.is(other.status, 200, 'the retry went to sticky-b');
  assert.equal([apps['sticky-a']!.seen('/other').length, apps['sticky-b']!.seen('/other').length], [1, 1]);
  const same = await client.send(port(), '/same', { host: 'sticky', headers: { 'x-user': user, 'x-same': '1' } });
  assert.is(same.status, 503, 'both tries on sticky-a');
  assert.equal([apps['sticky-a']!.seen('/same').length, apps['sticky-b']!.seen('/same').length], [2, 0]);
  apps['sticky-a']!.behave = ok;
});

test('retries: retryOn gateway-error does not retry a 500, does retry 502', async () => {
  apps.down!.behave = status(500);
  assert.is((await get('down', '/g1')).status, 500);
  assert.is(apps.down!.seen('/g1').length, 1);
  apps.down!.behave = status(502);
  assert.is((await get('down', '/g2')).status, 502);
  assert.is(apps.down!.seen('/g2').length, 3);
  apps.down!.behave = ok;
});

test('POST bodies are replayed on retry', async () => {
  let n = 0;
  apps.flaky!.behave = (req, res, body, app) => (++n === 1 ? status(503) : ok)(req, res, body, app);
  const r = await client.send(port(), '/post', { host: 'flaky', method: 'POST', body: 'x'.repeat(100_000) });
  assert.is(r.status, 200);
  assert.equal(apps.flaky!.seen('/post').map((h) => h.body.length), [100_000, 100_000]);
  apps.flaky!.behave = ok;
});

test('route timeout: a silent upstream gets 504 UT after 300 ms (± 100 ms)', async () => {
  apps.slow!.behave = hang;
  const r = await get('slow', '/t1', 'timeout-1');
  assert.is(r.status, 504);
  assert.ok(r.ms >= 290 && r.ms <= 400, `took ${r.ms} ms`);
  assert.is((await logEntry(agent, 'timeout-1')).response_flags, 'UT');
});

test('perTryTimeout: the first endpoint is silent, the retry goes to the other within 200 ms + backoff', async () => {
  apps.slow2!.behave = hang;
  apps.flaky!.behave = ok;
  const r = await get('slow2', '/t2', 'pertry-1');
  assert.is(r.status, 200);
  assert.is(r.headers['x-app'], 'flaky');
  assert.ok(r.ms >= 190 && r.ms <= 400, `took ${r.ms} ms`);
  assert.is((await logEntry(agent, 'pertry-1')).attempts, 2);
});

test('circuit breaker: maxConnections 1 + 1 pending → the third concurrent request gets 503 UO at once', async () => {
  apps.limit!.behave = hang;
  const first = get('limit', '/cb1');
  await waitFor(() => apps.limit!.seen('/cb1').length === 1, 3000, 'first request in flight');
  const second = get('limit', '/cb2');
  await waitFor(async () => metricValue((await admin.get(agent.ports.admin, '/metrics')).text, 'dockmesh_upstream_rq_pending', { cluster: 'outbound|8080||limit.default' }) === 1, 3000, 'second request queued');
  const third = await get('limit', '/cb3', 'uo-1');
  assert.is(third.status, 503);
  assert.ok(third.ms < 100, `overflow answered in ${third.ms} ms`);
  assert.is((await logEntry(agent, 'uo-1')).response_flags, 'UO');
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_circuit_breaker_open', { cluster: 'outbound|8080||limit.default' }), 1);
  assert.is(metricValue(m, 'dockmesh_upstream_overflow_total', { cluster: 'outbound|8080||limit.default' }), 1);
  apps.limit!.behave = ok;
  for (const h of held.splice(0)) h();
  assert.is((await first).status, 200);
  assert.is((await second).status, 200, 'the queued request ran once the first ended');
  assert.is(apps.limit!.seen('/cb2').length, 1);
});

test('outlier detection: 3 consecutive 5xx eject the bad endpoint; it returns after baseEjectionTime (1 s)', async () => {
  apps['od-bad']!.behave = status(500);
  let statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await get('od', '/od')).status);
  assert.is(statuses.filter((s) => s === 500).length, 3, 'round robin: every other request to the bad one until ejected');
  const ejectedAt = Date.now();
  statuses = [];
  for (let i = 0; i < 10; i++) statuses.push((await get('od', '/od')).status);
  assert.equal(statuses, Array(10).fill(200), 'ejected: only the good endpoint');
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_outlier_ejections_total', { cluster: 'outbound|8080||od.default', endpoint: '10.4.0.8:8080' }), 1);
  assert.is(metricValue(m, 'dockmesh_outlier_ejected_endpoints', { cluster: 'outbound|8080||od.default' }), 1);
  apps['od-bad']!.behave = ok;
  const before = apps['od-bad']!.hits.length;
  await waitFor(async () => {
    await get('od', '/od');
    return apps['od-bad']!.hits.length > before;
  }, 3000, 'the endpoint back in rotation', 20);
  const back = Date.now() - ejectedAt;
  assert.ok(back >= 900 && back <= 1300, `returned after ${back} ms (base 1000, sweep every 100)`);
});

test('outlierDetectionHttpErrorCodes [429]: 500s do not eject; two 429s in a row do', async () => {
  apps['codes-bad']!.behave = status(500);
  const first: number[] = [];
  for (let i = 0; i < 8; i++) first.push((await get('codes', '/c')).status);
  assert.is(first.filter((s) => s === 500).length, 4, `500 is not listed: never ejected (${first})`);
  apps['codes-bad']!.behave = status(429);
  const second: number[] = [];
  for (let i = 0; i < 8; i++) second.push((await get('codes', '/c')).status);
  assert.equal(second.filter((s) => s === 429).length, 2, `ejected after the second 429: ${second}`);
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_outlier_ejections_total', { cluster: 'outbound|8080||codes.default', endpoint: '10.4.0.20:8080' }), 1);
  apps['codes-bad']!.behave = ok;
});

test('no VirtualService: Istio default retry policy retries a 503 on the other endpoint', async () => {
  apps['dflt-a']!.behave = status(503);
  apps['dflt-b']!.behave = status(503);
  let n = 0;
  const flip: Behaviour = (req, res, body, app) => (++n === 1 ? status(503) : ok)(req, res, body, app);
  apps['dflt-a']!.behave = flip;
  apps['dflt-b']!.behave = flip;
  const r = await get('dflt', '/d1', 'dflt-1');
  assert.is(r.status, 200);
  const e = await logEntry(agent, 'dflt-1');
  assert.is(e.attempts, 2);
  assert.is(apps['dflt-a']!.seen('/d1').length, 1, 'one try per endpoint (previous hosts avoided)');
  assert.is(apps['dflt-b']!.seen('/d1').length, 1);
  apps['dflt-a']!.behave = status(503);
  apps['dflt-b']!.behave = status(503);
  const all = await get('dflt', '/d2', 'dflt-2');
  assert.is(all.status, 503);
  assert.is((await logEntry(agent, 'dflt-2')).attempts, 3);
  assert.is((await logEntry(agent, 'dflt-2')).response_flags, 'URX');
  apps['dflt-a']!.behave = ok;
  apps['dflt-b']!.behave = ok;
});

test('no VirtualService: a POST body is kept and replayed when the default policy retries a 503', async () => {
  let n = 0;
  const once: Behaviour = (req, res, body, app) => (++n === 1 ? status(503) : ok)(req, res, body, app);
  apps['dflt-a']!.behave = once;
  apps['dflt-b']!.behave = once;
  const r = await client.send(port(), '/d3', { host: 'dflt', method: 'POST', body: 'order-42', headers: { 'x-request-id': 'dflt-3' } });
  assert.is(r.status, 200);
  assert.equal([...apps['dflt-a']!.seen('/d3'), ...apps['dflt-b']!.seen('/d3')].map((h) => h.body), ['order-42', 'order-42']);
  apps['dflt-a']!.behave = ok;
  apps['dflt-b']!.behave = ok;
});

/** Answers every request of `app` and notes the upstream connection (its client port) each came on. */
function connectionsOf(app: ScriptedApp): { ports: number[]; perConnection(): number[] } {
  const ports: number[] = [];
  app.behave = (req, res, body, a) => {
    ports.push(req.socket.remotePort!);
    ok(req, res, body, a);
  };
  return { ports, perConnection: () => [...new Set(ports)].map((p) => ports.filter((x) => x === p).length) };
}

test('maxRequestsPerConnection 2: six sequential requests use three upstream connections', async () => {
  const seen = connectionsOf(apps.mrpc!);
  for (let i = 0; i < 6; i++) assert.is((await get('mrpc', `/m${i}`)).status, 200);
  assert.equal(seen.perConnection(), [2, 2, 2], `connections: ${seen.ports}`);
});

test('splitExternalLocalOriginErrors: two connect failures in a row eject an endpoint even with 5xx ejection off', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await get('split', `/s${i}`)).status);
  assert.equal(statuses.filter((s) => s === 503).length, 2, `round robin over a dead and a live endpoint: ${statuses}`);
  const after: number[] = [];
  for (let i = 4; i < 10; i++) after.push((await get('split', `/s${i}`)).status);
  assert.equal(after, [200, 200, 200, 200, 200, 200], 'the dead endpoint is ejected');
  const m = (await admin.get(agent.ports.admin, '/metrics')).text;
  assert.is(metricValue(m, 'dockmesh_outlier_ejections_total', { cluster: 'outbound|8080||split.default' }), 1, 'one ejection reported');
});

test('maxConnectionDuration 300ms: requests 400 ms apart use two upstream connections, requests together one', async () => {
  const seen = connectionsOf(apps.aged!);
  for (let i = 0; i < 2; i++) assert.is((await get('aged', `/a${i}`)).status, 200);
  await new Promise((r) => setTimeout(r, 400));
  for (let i = 2; i < 4; i++) assert.is((await get('aged', `/a${i}`)).status, 200);
  assert.equal(seen.perConnection(), [2, 2], `connections: ${seen.ports}`);
});

test.run();
