/**
 * The canary controller with its parts faked (registry view, readiness, the agents' /metrics): the
 * samples it takes feed the checks in every phase that checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryController } from '../../../control/canary/canary-controller.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { meshfileContext } from '../../../control/compile/snapshot.ts';
import { API_CANARY_HEAD, apiCanary, apiPrimary, canaryRegistry, controllerOptions } from '../../support/canary-controller.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANARY = (hookPort: number) => `${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 50
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
    webhooks:
    - {name: gate, type: confirm-promotion, url: "http://127.0.0.1:${hookPort}/"}
`;

test('checks in WaitingPromotion read fresh samples: a canary that starts failing there counts failed checks', async () => {
  const r = canaryRegistry();
  // The gate (confirm-promotion) never confirms: port 9 (discard) refuses on loopback.
  const spec = loadMeshfile(CANARY(9), 'mesh.yaml', meshfileContext(r.view())).spec;
  let ok = 0;
  let failed = 0;
  const metrics = () => `istio_requests_total{reporter="destination",destination_service_name="api",response_code="200"} ${ok}\nistio_requests_total{reporter="destination",destination_service_name="api",response_code="503"} ${failed}\n`;
  let now = 0;
  const c = new CanaryController(
    controllerOptions(r, spec, {
      fetchMetrics: async () => metrics(),
      now: () => now,
    }),
  );
  c.sync();
  const tick = async () => {
    now += 60_000;
    await c.tickAll();
    return c.list()[0]!;
  };
  assert.is((await tick()).phase, 'Progressing');
  assert.is((await tick()).canaryWeight, 50);
  ok += 100;
  const waiting = await tick();
  assert.equal([waiting.phase, waiting.failedChecks], ['WaitingPromotion', 0]);
  failed += 100;
  const bad = await tick();
  assert.equal([bad.phase, bad.failedChecks, bad.checks[0]!.value], ['WaitingPromotion', 1, 0]);
  c.close();
});

test('with a state file, a new controller takes up where the last one stopped: routing at once, the analysis at the next tick', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-canary-state-'));
  const r = canaryRegistry();
  const spec = loadMeshfile(CANARY(9).replace(/    webhooks:\n.*\n/, '').replace('stepWeight: 50', 'stepWeight: 20'), 'mesh.yaml', meshfileContext(r.view())).spec;
  let ok = 0;
  let now = 0;
  const make = () =>
    new CanaryController(
      controllerOptions(r, spec, {
        fetchMetrics: async () => `istio_requests_total{reporter="destination",destination_service_name="api",response_code="200"} ${(ok += 50)}\n`,
        now: () => (now += 60_000),
        stateFile: join(dir, 'state', 'canaries.json'),
      }),
    );
  const first = make();
  first.sync();
  for (let i = 0; i < 3; i++) await first.tickAll();
  assert.equal([first.list()[0]!.phase, first.list()[0]!.canaryWeight], ['Progressing', 40]);
  first.close();
  const second = make();
  second.sync();
  assert.equal(second.routing().get('api.default')?.canaryWeight, 40, 'the weights before any tick');
  await second.tickAll();
  assert.equal([second.list()[0]!.phase, second.list()[0]!.canaryWeight], ['Progressing', 40], 'the first tick after a restart only samples (no baseline yet)');
  second.close();
  const promoted = make();
  promoted.sync();
  for (let i = 0; i < 4; i++) await promoted.tickAll();
  assert.equal([promoted.list()[0]!.phase, promoted.list()[0]!.canaryWeight], ['Succeeded', 100]);
  const message = promoted.list()[0]!.message;
  promoted.close();
  const again = make();
  again.sync();
  await again.tickAll();
  assert.equal([again.list()[0]!.phase, again.list()[0]!.canaryWeight, again.list()[0]!.message], ['Succeeded', 100, message], 'a finished analysis is taken up as it was');
  again.close();
  const v3 = apiCanary('api-3', 'api-v3');
  r.setWorkloads([apiPrimary(), v3]);
  r.report(v3.container, { ports: [8080], ready: true, configVersion: 1, admin: 'x:15020' });
  const third = make();
  third.sync();
  await third.tickAll();
  assert.equal([third.list()[0]!.phase, third.list()[0]!.canaryWeight, third.list()[0]!.message], ['Progressing', 0, 'new revision detected: progressing canary analysis']);
  third.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a custom metric runs its MetricTemplate\'s query, rendered for the canary workload, at the template\'s or the default address; a failed query fails the check with why', async () => {
  const r = canaryRegistry();
  const spec = loadMeshfile(
    `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: errors, namespace: flagger}
spec:
  provider: {type: prometheus, address: "http://prom.example:9090"}
  query: sum(increase(istio_requests_total{destination_workload="{{ target }}",response_code=~"{{ variables.codes }}"}[{{ interval }}]))
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: p99}
spec:
  provider: {type: prometheus}
  query: histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{destination_workload="{{ target }}"}[{{ interval }}])) by (le))
---
${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 50
    stepWeight: 25
    metrics:
    - name: errors
      templateRef: {name: errors, namespace: flagger}
      templateVariables: {codes: "5.."}
      thresholdRange: {max: 0}
      interval: 30s
    - name: p99
      templateRef: {name: p99}
      thresholdRange: {max: 500}
`,
    'mesh.yaml',
    meshfileContext(r.view()),
  ).spec;
  assert.ok(spec);
  const queries: Array<[string, string]> = [];
  let errors: number | Error = 0;
  const c = new CanaryController(
    controllerOptions(r, spec, {
      metricsServer: 'http://dm-mesh-prometheus:9090',
      queryPrometheus: async (address, query) => {
        queries.push([address, query]);
        if (query.startsWith('histogram_quantile')) return 120;
        if (errors instanceof Error) throw errors;
        return errors;
      },
    }),
  );
  c.sync();
  const tick = async () => {
    await c.tickAll();
    return c.list()[0]!;
  };
  assert.equal([(await tick()).phase, (await tick()).canaryWeight, queries.length], ['Progressing', 25, 0], 'the first step is not checked');
  const s1 = await tick();
  assert.equal([s1.phase, s1.canaryWeight], ['Progressing', 50]);
  assert.equal(queries, [
    ['http://prom.example:9090', 'sum(increase(istio_requests_total{destination_workload="api-v2",response_code=~"5.."}[30s]))'],
    ['http://dm-mesh-prometheus:9090', 'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{destination_workload="api-v2"}[1m])) by (le))'],
  ]);
  assert.equal(s1.checks.map((k) => [k.metric, k.value, k.ok]), [['errors', 0, true], ['p99', 120, true]]);
  errors = 3;
  const s2 = await tick();
  assert.equal([s2.canaryWeight, s2.failedChecks], [50, 1]);
  assert.match(s2.message, /halt advancement: errors 3 > 0/);
  errors = new Error('error response: 400 {"error":"parse error"}');
  const s3 = await tick();
  assert.equal([s3.failedChecks, s3.checks[0]!.error], [2, 'query failed: error response: 400 {"error":"parse error"}']);
  assert.match(s3.message, /halt advancement: errors: query failed: error response: 400/);
  const s4 = await tick();
  assert.equal([s4.phase, s4.canaryWeight], ['Failed', 0], 'threshold 2 reached: rolled back');
  c.close();
});

test('Flagger\'s deprecated in-line query runs as written (not rendered) against the default Prometheus; threshold is a maximum; without a default Prometheus the check fails with why', async () => {
  const r = canaryRegistry();
  const QUERY = 'sum(rate(istio_requests_total{destination_workload="api-v2",response_code="404"}[1m]))';
  const spec = loadMeshfile(
    `${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 1
    maxWeight: 50
    stepWeight: 25
    metrics:
    - name: "404s"
      threshold: 5
      query: '${QUERY}'
`,
    'mesh.yaml',
    meshfileContext(r.view()),
  );
  assert.equal(spec.diagnostics.filter((d) => /query|404s/.test(d.message)), [], 'the in-line query is acted on: no warning');
  const queries: Array<[string, string]> = [];
  let value = 5;
  const make = (metricsServer?: string) =>
    new CanaryController(
      controllerOptions(r, spec.spec, {
        ...(metricsServer && { metricsServer }),
        queryPrometheus: async (address, query) => {
          queries.push([address, query]);
          return value;
        },
      }),
    );
  const c = make('http://dm-mesh-prometheus:9090');
  c.sync();
  for (let i = 0; i < 3; i++) await c.tickAll();
  const s = c.list()[0]!;
  assert.equal([s.phase, s.canaryWeight, s.checks.map((k) => [k.metric, k.value, k.max, k.ok])], ['Progressing', 50, [['404s', 5, 5, true]]], 'at the threshold: passes (inclusive)');
  assert.equal(queries, [['http://dm-mesh-prometheus:9090', QUERY]]);
  value = 6;
  await c.tickAll();
  assert.equal([c.list()[0]!.failedChecks, c.list()[0]!.checks[0]!.ok], [1, false], 'above the threshold: fails');
  await c.tickAll();
  assert.equal([c.list()[0]!.phase, c.list()[0]!.canaryWeight], ['Failed', 0], 'threshold 1 reached: rolled back');
  c.close();
  const none = make();
  none.sync();
  for (let i = 0; i < 4; i++) await none.tickAll();
  const n = none.list()[0]!;
  assert.equal([n.phase, n.checks[0]!.ok], ['Failed', false]);
  assert.match(n.checks[0]!.error ?? '', /in-line query needs the default Prometheus/);
  none.close();
});

test('the controller counts ready agents against canaryReadyThreshold and primaryReadyThreshold', async () => {
  const [p1, p2, c1, c2] = [apiPrimary('api-1'), apiPrimary('api-2'), apiCanary('api-3'), apiCanary('api-4')];
  const r = canaryRegistry([p1, p2, c1, c2]);
  const ready = new Set([p1.container, c1.container]);
  const make = (thresholds: string) => {
    const spec = loadMeshfile(CANARY(9).replace(/    webhooks:\n.*\n/, '').replace('threshold: 5', `threshold: 5\n${thresholds}`), 'mesh.yaml', meshfileContext(r.view()));
    assert.equal(spec.diagnostics, []);
    const c = new CanaryController(
      controllerOptions(r, spec.spec, {
        readyOf: (id) => ready.has(id),
      }),
    );
    c.sync();
    return c;
  };
  const strict = make('    canaryReadyThreshold: 100');
  await strict.tickAll();
  await strict.tickAll();
  assert.match(strict.list()[0]!.message, /primary replicas' agents/, 'one of two primaries ready: below the default 100%');
  strict.close();
  const canaryOnly = make('    primaryReadyThreshold: 50');
  await canaryOnly.tickAll();
  await canaryOnly.tickAll();
  assert.match(canaryOnly.list()[0]!.message, /canary replicas' agents/, 'one of two canaries ready: below the default 100%');
  canaryOnly.close();
  const lenient = make('    primaryReadyThreshold: 50\n    canaryReadyThreshold: 50');
  await lenient.tickAll();
  await lenient.tickAll();
  assert.equal(lenient.list()[0]!.canaryWeight, 50, 'half of each ready is enough at 50%');
  lenient.close();
});

test.run();
