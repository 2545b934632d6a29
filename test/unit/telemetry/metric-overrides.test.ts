import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshObject, TelemetrySpec } from '../../../control/meshfile/mesh-spec.ts';
import { metricsOf, resolveTelemetry } from '../../../control/compile/telemetry.ts';
import type { PolicyTarget } from '../../../control/compile/workload-selector.ts';
import { compileMetricTagValue, type MetricRequest } from '../../../wire/metric-tag-value.ts';
import { MeshMetrics } from '../../../agent/mesh-metrics.ts';
import { istioLabels, type PeerIdentity } from '../../../agent/istio-labels.ts';
import type { MetricRequestSource } from '../../../agent/istio-series.ts';
import type { MeshSettingsSnapshot } from '../../../wire/types.ts';

let line = 1;
function tel(name: string, namespace: string, spec: TelemetrySpec): MeshObject<TelemetrySpec> {
  return { kind: 'Telemetry', apiVersion: 'telemetry.istio.io/v1', name, namespace, file: 'mesh.yaml', line: line++, index: 0, spec };
}
const api: PolicyTarget = { namespace: 'default', labels: { app: 'api' } };
const metricsFor = (docs: MeshObject<TelemetrySpec>[], target = api) => metricsOf(resolveTelemetry(target, docs));

test('no metrics entry: no overrides in the snapshot', () => {
  assert.is(metricsFor([tel('m', 'istio-system', { tracing: [{ randomSamplingPercentage: 1 }] })]), undefined);
});

test('ALL_METRICS (also an absent match) expands to every standard metric, per mode', () => {
  const m = metricsFor([tel('m', 'istio-system', { metrics: [{ overrides: [{ match: { mode: 'SERVER' }, disabled: true }] }] })]);
  assert.is(m?.outbound, undefined);
  assert.equal(Object.keys(m?.inbound ?? {}).sort(), ['REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_CLOSED_CONNECTIONS', 'TCP_OPENED_CONNECTIONS', 'TCP_RECEIVED_BYTES', 'TCP_SENT_BYTES']);
  assert.ok(Object.values(m!.inbound!).every((o) => o.disabled === true));
});

test('levels merge field by field and tag by tag: a lower level re-enables and replaces one tag', () => {
  const m = metricsFor([
    tel('m', 'istio-system', {
      metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, disabled: true, tagOverrides: { request_protocol: { operation: 'REMOVE' }, env: { value: "'prod'" } } }] }],
    }),
    tel('n', 'default', { metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, disabled: false, tagOverrides: { env: { value: "'dev'" } } }] }] }),
  ]);
  assert.equal(m?.outbound?.REQUEST_COUNT, { disabled: false, tags: { request_protocol: null, env: "'dev'" } });
  assert.equal(m?.inbound?.REQUEST_COUNT, { disabled: true, tags: { request_protocol: null, env: "'prod'" } });
});

test('entries for another provider, custom metrics, gRPC metrics and unsupported values are left out', () => {
  const m = metricsFor([
    tel('n', 'default', {
      metrics: [
        { providers: [{ name: 'stackdriver' }], overrides: [{ disabled: true }] },
        { overrides: [{ match: { customMetric: 'requests_total' }, disabled: true }, { match: { metric: 'GRPC_REQUEST_MESSAGES' }, disabled: true }] },
        { providers: [{ name: 'prometheus' }], overrides: [{ match: { metric: 'REQUEST_DURATION' }, tagOverrides: { route: { value: 'xds.route_name' }, host: { value: 'request.host' } } }] },
      ],
    }),
  ]);
  assert.equal(m, { outbound: { REQUEST_DURATION: { tags: { host: 'request.host' } } }, inbound: { REQUEST_DURATION: { tags: { host: 'request.host' } } } });
});

test('reportingInterval: the last level that sets it (for the Prometheus provider) wins', () => {
  const m = metricsFor([
    tel('m', 'istio-system', { metrics: [{ reportingInterval: '30s' }] }),
    tel('n', 'default', { metrics: [{ reportingInterval: '1.5s' }, { providers: [{ name: 'stackdriver' }], reportingInterval: '1m' }] }),
  ]);
  assert.equal(m, { tcpReportingIntervalMs: 1500 });
});

test('a workload document applies to its workload only', () => {
  const docs = [tel('w', 'default', { selector: { matchLabels: { app: 'web' } }, metrics: [{ overrides: [{ disabled: true }] }] })];
  assert.is(metricsFor(docs), undefined);
  assert.ok(metricsFor(docs, { namespace: 'default', labels: { app: 'web' } }));
});

const req: MetricRequest = { method: 'GET', host: 'api:8080', path: '/a/b?x=1', status: 503, port: 8080, principal: undefined, headers: { 'x-tenant': 'acme', 'user-agent': 'curl/8' } };
const values: Array<[string, string]> = [
  ["'dev'", 'dev'],
  ['"x" + "y"', 'xy'],
  ['request.host', 'api:8080'],
  ['request.method + " " + request.url_path', 'GET /a/b'],
  ['string(destination.port)', '8080'],
  ['destination.port', '8080'],
  ['response.code >= 500 ? "error" : "ok"', 'error'],
  ['connection.mtls', 'false'],
  ['request.host + 1', 'unknown'],
  ["request.headers['x-tenant']", 'acme'],
  ["has(request.headers['x-plan']) ? request.headers['x-plan'] : 'free'", 'free'],
  ["request.headers['x-plan']", 'unknown'],
  ['request.useragent', 'curl/8'],
];
for (const [expr, want] of values) {
  test(`tag value ${expr} → ${want}`, () => {
    const v = compileMetricTagValue(expr);
    assert.ok(v.ok);
    if (v.ok) assert.is(v.constant ?? v.value(req), want);
  });
}

test('a tag value without attributes is a constant', () => {
  const v = compileMetricTagValue('"a" + string(1)');
  assert.equal(v, { ok: true, constant: 'a1' });
});

const peer = (workload: string): PeerIdentity => ({ workload, namespace: 'default', app: workload, version: 'v1' });
const source: MetricRequestSource = { method: 'GET', head: { host: 'api' }, req: { url: '/x' }, binding: { port: 8080 }, verifiedPeer: undefined };

function lines(m: MeshMetrics, name: string): string[] {
  return m.text().split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function record(overrides: MeshSettingsSnapshot['metrics'], host = 'api'): MeshMetrics {
  const m = new MeshMetrics();
  m.setOverrides(overrides);
  const out = istioLabels('source', peer('web'), peer('api'), { name: 'api', namespace: 'default' }, 'http');
  const inn = istioLabels('destination', peer('web'), peer('api'), { name: 'api', namespace: 'default' }, 'http');
  m.request(out, 200, '-', 3, 0, 10, { ...source, head: { host } });
  m.request(inn, 200, '-', 2, 0, 10, { ...source, head: { host } });
  return m;
}

test('the agent: no overrides, Istio labels for both reporters', () => {
  const m = record(undefined);
  const l = lines(m, 'istio_requests_total');
  assert.is(l.length, 2);
  assert.ok(l[0]!.startsWith('istio_requests_total{reporter="source",source_workload="web"'));
  assert.ok(l[0]!.includes(',request_protocol="http",connection_security_policy="unknown",response_code="200",response_flags="-"} 1'));
});

test('the agent: a disabled metric records nothing for its direction only', () => {
  const m = record({ inbound: { REQUEST_SIZE: { disabled: true } } });
  const sizes = lines(m, 'istio_request_bytes_count');
  assert.is(sizes.length, 1);
  assert.ok(sizes[0]!.includes('reporter="source"'));
  assert.is(lines(m, 'istio_requests_total').length, 2);
});

test('the agent: REMOVE drops a label, UPSERT replaces one in place and appends new ones by name', () => {
  const m = record({ outbound: { REQUEST_COUNT: { tags: { request_protocol: null, response_flags: null, source_app: "'frontend'", zone: "'a'", env: "'dev'" } } } });
  const out = lines(m, 'istio_requests_total').find((l) => l.includes('reporter="source"'))!;
  assert.not.ok(out.includes('request_protocol='));
  assert.not.ok(out.includes('response_flags='));
  assert.ok(out.includes('source_app="frontend",source_version="v1"'));
  assert.ok(out.endsWith('response_code="200",env="dev",zone="a"} 1'), out);
  // Other metrics of the direction keep Istio's labels.
  const d = lines(m, 'istio_request_duration_milliseconds_count').find((l) => l.includes('reporter="source"'))!;
  assert.ok(d.includes('request_protocol="http"'));
});

test('the agent: a value reading the request makes a series per value', () => {
  const m = new MeshMetrics();
  m.setOverrides({ outbound: { REQUEST_COUNT: { tags: { request_host: 'request.host' } } } });
  const out = istioLabels('source', peer('web'), peer('api'), { name: 'api', namespace: 'default' }, 'http');
  for (const host of ['a', 'b', 'a']) m.request(out, 200, '-', 1, 0, 1, { ...source, head: { host } });
  const l = lines(m, 'istio_requests_total');
  assert.equal(l.map((x) => x.slice(x.indexOf('request_host='))), ['request_host="a"} 2', 'request_host="b"} 1']);
});

test('the agent: TCP metrics take their overrides; a value reading the request is unknown there', () => {
  const m = new MeshMetrics();
  m.setOverrides({ outbound: { TCP_OPENED_CONNECTIONS: { tags: { destination_app: null, host: 'request.host' } }, TCP_SENT_BYTES: { disabled: true } } });
  const out = istioLabels('source', peer('web'), peer('db'), { name: 'db', namespace: 'default' }, 'tcp');
  m.tcpOpened(out);
  m.tcpClosed(out, '-', 10, 20);
  const opened = lines(m, 'istio_tcp_connections_opened_total');
  assert.is(opened.length, 1);
  assert.not.ok(opened[0]!.includes('destination_app='));
  assert.ok(opened[0]!.endsWith('response_flags="-",host="unknown"} 1'));
  assert.is(lines(m, 'istio_tcp_sent_bytes_total').length, 0);
  assert.is(lines(m, 'istio_tcp_received_bytes_total').length, 1);
});

test('the agent: new overrides take effect on label sets already seen; back to none is the standard set again', () => {
  const m = new MeshMetrics();
  const out = istioLabels('source', peer('web'), peer('api'), { name: 'api', namespace: 'default' }, 'http');
  m.request(out, 200, '-', 1, 0, 1, source);
  m.setOverrides({ outbound: { REQUEST_COUNT: { tags: { env: "'dev'" } } } });
  m.request(out, 200, '-', 1, 0, 1, source);
  m.setOverrides(undefined);
  m.request(out, 200, '-', 1, 0, 1, source);
  const l = lines(m, 'istio_requests_total');
  assert.is(l.length, 2);
  assert.ok(l[0]!.endsWith('response_flags="-"} 2'));
  assert.ok(l[1]!.endsWith('env="dev"} 1'));
});

test('the agent: an open TCP connection reports its bytes as they flow; the close adds only the rest', () => {
  const m = new MeshMetrics();
  const out = istioLabels('source', peer('web'), peer('db'), { name: 'db', namespace: 'default' }, 'tcp');
  const socket = { bytesWritten: 0, bytesRead: 0 };
  m.tcpOpened(out);
  const track = m.tcpTrack(out, socket);
  const total = (name: string) => lines(m, name).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  socket.bytesRead = 100;
  socket.bytesWritten = 40;
  m.reportOpenTcp();
  assert.equal([total('istio_tcp_received_bytes_total'), total('istio_tcp_sent_bytes_total')], [100, 40]);
  m.reportOpenTcp();
  assert.equal([total('istio_tcp_received_bytes_total'), total('istio_tcp_sent_bytes_total')], [100, 40], 'nothing new, nothing added');
  socket.bytesRead = 150;
  m.tcpClosed(out, '-', 70, 150, track);
  assert.equal([total('istio_tcp_received_bytes_total'), total('istio_tcp_sent_bytes_total')], [150, 70]);
  m.reportOpenTcp();
  assert.equal([total('istio_tcp_received_bytes_total'), total('istio_tcp_sent_bytes_total')], [150, 70], 'closed: no longer reported');
  assert.is(total('istio_tcp_connections_closed_total'), 1);
});

test('the agent: a connection closing with flags reports its last bytes under those flags', () => {
  const m = new MeshMetrics();
  const out = istioLabels('source', peer('web'), peer('db'), { name: 'db', namespace: 'default' }, 'tcp');
  const socket = { bytesWritten: 10, bytesRead: 10 };
  const track = m.tcpTrack(out, socket);
  m.reportOpenTcp();
  m.tcpClosed(out, 'UC', 15, 12, track);
  const sent = lines(m, 'istio_tcp_sent_bytes_total');
  assert.equal(sent.map((l) => [l.includes('response_flags="-"') ? '-' : 'UC', l.slice(l.lastIndexOf(' ') + 1)]), [['-', '10'], ['UC', '5']]);
});

test.run();
