import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matchText, policyText, routeRows, securityRows, telemetryRows } from '../../../cli/route-view.ts';
import { service, snapshot } from '../agent/snapshot-fixture.ts';

test('mesh routes: the RETRIES column names attempts, per-try timeout, back-off and conditions', () => {
  const to = [{ destination: { service: 'api', namespace: 'default' }, weight: 100 }];
  const api = service('api', [8080], []);
  api.http = [
    { name: 'tuned', match: [], route: to, retries: { attempts: 2, perTryTimeoutMs: 500, backoffMs: 100, retryOn: ['5xx', 'reset'] } },
    { name: 'plain', match: [], route: to, retries: { attempts: 3, retryOn: ['connect-failure'] } },
    { name: 'off', match: [], route: to, retries: { attempts: 0, retryOn: [] } },
    { name: 'dflt', match: [], route: to },
  ];
  const rows = routeRows(snapshot(1, 'web', [api]));
  assert.equal(rows.map((r) => r[4]), ['2x per try 500ms backoff 100ms on 5xx,reset', '3x on connect-failure', 'none', 'default']);
});

test('mesh routes: source matches name the namespace', () => {
  assert.is(matchText({ sourceLabels: { app: 'web' }, sourceNamespace: 'prod', uri: { prefix: '/a' } }), 'uri^/a & source app=web & source namespace=prod');
});

test('mesh routes: the telemetry table, standard and with Telemetry documents in force', () => {
  const plain = snapshot(1, 'web', []);
  assert.equal(telemetryRows(plain), [
    ['outbound (CLIENT)', 'off (no collector)', 'on', 'standard'],
    ['inbound (SERVER)', 'off (no collector)', 'on', 'standard'],
  ]);
  const tuned = snapshot(1, 'web', []);
  tuned.mesh.tracing = {
    endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 100,
    outbound: { samplingPercent: 10, report: true, tags: { team: { literal: 'shop' }, user: { header: 'x-user' }, zone: { environment: 'ZONE' } }, istioTags: false },
    inbound: { samplingPercent: 100, report: false },
  };
  tuned.mesh.accessLog = { outbound: true, inbound: false, outboundFilter: 'response.code >= 400' };
  tuned.mesh.metrics = { outbound: { REQUEST_COUNT: { tags: { request_protocol: null, request_host: 'request.host' } } }, inbound: { REQUEST_SIZE: { disabled: true } } };
  assert.equal(telemetryRows(tuned), [
    ['outbound (CLIENT)', '10% of new traces; tags team=shop,user=header x-user,zone=$ZONE; no istio.* tags', 'when response.code >= 400', 'REQUEST_COUNT -request_protocol request_host=request.host'],
    ['inbound (SERVER)', '100% sampled, no spans reported', 'off', 'REQUEST_SIZE off'],
  ]);
});


test('mesh routes: the POLICY column names each outlier check in force, error codes included', () => {
  const od = { intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50, minHealthPercent: 0 };
  const lb = { simple: 'ROUND_ROBIN' as const };
  assert.is(policyText({ loadBalancer: lb, outlierDetection: { ...od, consecutive5xxErrors: 5 } }), 'ROUND_ROBIN, eject after 5 errors for 30s (max 50%)');
  assert.is(
    policyText({ loadBalancer: lb, outlierDetection: { ...od, consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 } }),
    'ROUND_ROBIN, eject after 3 gateway errors for 30s (max 50%)',
    '5xx ejection off (0) is not shown as "0 errors"',
  );
  assert.is(
    policyText({ loadBalancer: lb, outlierDetection: { ...od, consecutive5xxErrors: 2, httpErrorCodes: [429, 503], splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 4 } }),
    'ROUND_ROBIN, eject after 2 errors (codes 429,503) or 4 local-origin failures for 30s (max 50%)',
  );
  assert.is(policyText({ loadBalancer: lb, outlierDetection: { ...od, consecutive5xxErrors: 0 } }), 'ROUND_ROBIN, no ejection (every check off)');
  assert.is(policyText({ loadBalancer: { warmup: { durationMs: 30_000, minimumPercent: 10, aggression: 1 } } }), 'LEAST_REQUEST (Istio\'s default), warmup 30s');
});

test('mesh routes: TLS and TCP routes get rows of their own, matched by server name and port', () => {
  const to = (subset: string) => [{ destination: { service: 'db', namespace: 'default', subset }, weight: 100 }];
  const db = service('db', [5432], []);
  db.tls = [{ match: [{ sniHosts: ['db', 'db.default'], port: 5432 }, { sniHosts: ['db-ro'], sourceLabels: { app: 'report' } }], route: to('v2') }];
  db.tcp = [{ match: [{ port: 5432 }], route: to('v1') }, { match: [], route: to('v1') }];
  assert.equal(routeRows(snapshot(1, 'web', [db])), [
    ['db', 'tls sni=db,db.default & port=5432 | tls sni=db-ro & source app=report', 'db/v2 100%', '-', '-'],
    ['db', 'tcp port=5432', 'db/v1 100%', '-', '-'],
    ['db', 'tcp *', 'db/v1 100%', '-', '-'],
  ]);
});

test('mesh routes: the inbound table (mTLS, authorization, request authentication)', () => {
  const plain = snapshot(1, 'api', []);
  assert.equal(securityRows(plain), [['mTLS', 'PERMISSIVE (no meshfile)'], ['authorization', 'none: every request allowed'], ['request authentication', 'none']]);
  const secured = snapshot(1, 'api', []);
  secured.inbound = {
    mtls: { mode: 'STRICT', ports: { '9090': 'PERMISSIVE' } },
    authz: { policies: [{ name: 'api', namespace: 'default', action: 'ALLOW', rules: [{}, {}] }, { name: 'deny-admin', namespace: 'default', action: 'DENY', rules: [{}] }] },
    jwt: [
      { issuer: 'https://a', jwksUri: 'http://auth/keys', audiences: ['shop'], source: 'default/api-jwt' },
      { issuer: 'b', jwks: '{}', fromHeaders: [{ name: 'x-jwt' }], fromParams: ['t'], failureMode: 'STRICT', forwardOriginalToken: true, source: 'istio-system/mesh' },
      { issuer: 'https://c', source: 'default/c' },
    ],
  };
  assert.equal(securityRows(secured), [
    ['mTLS', 'STRICT; port 9090 PERMISSIVE'],
    ['authorization', 'default/api ALLOW (2 rules), default/deny-admin DENY (1 rule)'],
    ['request authentication', 'https://a; keys from http://auth/keys; audiences shop (default/api-jwt) | b; keys inline; from header x-jwt,param t; STRICT; token forwarded (istio-system/mesh) | https://c; keys by OpenID discovery (default/c)'],
  ]);
});

test.run();
