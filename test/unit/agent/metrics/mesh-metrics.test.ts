/**
 * MeshMetrics and TrafficMetrics expose the same bytes as their prom-client versions did
 * (prom-reference.ts) for the same events, and a new snapshot's label sets continue the counts of
 * the old ones.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { istioLabels, UNKNOWN_PEER, type LabelBase, type PeerIdentity } from '../../../../agent/istio-labels.ts';
import { MeshMetrics } from '../../../../agent/mesh-metrics.ts';
import { TrafficMetrics } from '../../../../agent/traffic-metrics.ts';
import { PromReference, type ReferenceClusterState } from './prom-reference.ts';

const web: PeerIdentity = { workload: 'web', namespace: 'default', app: 'web', version: 'v1' };
const api = (version: string): PeerIdentity => ({ workload: 'api', namespace: 'default', app: 'api', version });
const odd: PeerIdentity = { workload: 'we"ird\\name', namespace: 'ns\nx', app: 'äpp ✓', version: '😀' };

/** The label sets of one snapshot, made as route-table.ts and inbound-labels.ts make them. */
function snapshotLabels(): LabelBase[] {
  const v1 = istioLabels('source', web, api('v1'), { name: 'api', namespace: 'default' }, 'http');
  const v2 = istioLabels('source', web, api('v2'), { name: 'api', namespace: 'default' }, 'http');
  v2.labels.source_principal = 'spiffe://cluster.local/ns/default/sa/web';
  v2.labels.destination_principal = 'spiffe://cluster.local/ns/default/sa/api';
  const noRoute = istioLabels('source', web, UNKNOWN_PEER, undefined, 'http');
  const inbound = istioLabels('destination', odd, web, { name: 'web', namespace: 'default' }, 'http');
  inbound.labels.connection_security_policy = 'mutual_tls';
  return [v1, v2, noRoute, inbound];
}

const tcpLabels = (): LabelBase[] => [
  istioLabels('source', web, api('v1'), { name: 'echo', namespace: 'default' }, 'tcp'),
  istioLabels('destination', odd, web, { name: 'web', namespace: 'default' }, 'tcp'),
];

type Recorder = Pick<MeshMetrics, 'request' | 'tcpOpened' | 'tcpClosed'>;

function traffic(m: Recorder, http: LabelBase[], tcp: LabelBase[], round: number): void {
  const codes: Array<[number, string]> = [[200, '-'], [503, 'UF,URX'], [0, 'DC'], [200, '-'], [404, 'NR'], [503, 'UH'], [429, 'RL'], [200, 'DI']];
  for (let i = 0; i < 40; i++) {
    const [code, flags] = codes[(i * 7 + round) % codes.length]!;
    m.request(http[i % http.length]!, code, flags, (i * 13.37 + round) % 7000, i % 3 === 0 ? 0 : i * 1000 + round, 64 * i);
  }
  m.tcpOpened(tcp[0]!);
  m.tcpClosed(tcp[0]!, '-', 18 + round, 18);
  m.tcpOpened(tcp[1]!);
  m.tcpClosed(tcp[1]!, 'RBAC', 0, 0);
  m.tcpOpened(tcp[0]!);
  m.tcpClosed(tcp[0]!, 'UF', 0, 5);
}

const cluster = (key: string) => ({ key }) as never;
const host = (identity: string) => ({ identity }) as never;

test('istio_*, dockmesh_*, TLS and tracing metrics: the same exposition as prom-client, across snapshots', async () => {
  const states: ReferenceClusterState[] = [];
  const handshakes = { inbound: 0, inboundResumed: 0, outbound: 0, outboundResumed: 0 };
  let expiry = Number.POSITIVE_INFINITY;
  const tls = { expirySeconds: () => expiry, handshakes };
  const ours = new MeshMetrics();
  const trafficMetrics = new TrafficMetrics(ours.registry, true, () => states as never);
  const ref = new PromReference(() => states);
  ours.watchTls(tls as never);
  ref.watchTls(tls);
  const spans = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, exportRetries: 0, queued: 0 };
  ours.watchTracing(() => spans as never);
  ref.watchTracing(() => spans);
  assert.fixture(ours.text(), await ref.registry.metrics(), 'before any traffic');

  for (let round = 0; round < 3; round++) {
    // Every round is a new snapshot: new label-set objects, mostly with the values of the last.
    const http = snapshotLabels();
    const tcp = tcpLabels();
    if (round === 2) http.push(istioLabels('source', web, api('v3'), { name: 'api', namespace: 'default' }, 'http'));
    traffic(ours, http, tcp, round);
    traffic(ref, http, tcp, round);
    for (const m of [ours, ref]) m.configVersion(round + 1);
    const c = `outbound|8080|v${round}|api.default`;
    trafficMetrics.retry(cluster(c), '503');
    ref.retries.inc({ cluster: c, reason: '503' });
    trafficMetrics.retry(cluster(c), 'connect');
    ref.retries.inc({ cluster: c, reason: 'connect' });
    trafficMetrics.retryOverflow(cluster(c));
    ref.retryOverflow.inc({ cluster: c });
    trafficMetrics.overflow(cluster(c));
    ref.overflow.inc({ cluster: c });
    trafficMetrics.ejected(cluster(c), host('10.0.0.7:8080'));
    ref.ejections.inc({ cluster: c, endpoint: '10.0.0.7:8080' });
    trafficMetrics.returned(cluster(c), host('10.0.0.7:8080'));
    ref.returns.inc({ cluster: c, endpoint: '10.0.0.7:8080' });
    trafficMetrics.rateLimited('api.default');
    ref.rateLimited.inc({ destination_service: 'api.default' });
    trafficMetrics.mirrored('api-shadow');
    ref.mirrored.inc({ destination_service: 'api-shadow' });
    states.push({ key: c, breaker: { active: round, pending: 1, activeRetries: 2, open: round === 1 }, detector: round ? { ejectedCount: round } : undefined });
    handshakes.inbound += 3;
    handshakes.inboundResumed += 1;
    handshakes.outbound += 2;
    if (round === 1) expiry = 86399.6;
    spans.exported += 512 * round;
    spans.droppedQueueFull += round;
    spans.exportRetries += 2 * round;
    spans.queued = 7 * round;
    assert.fixture(ours.text(), await ref.registry.metrics(), `round ${round}`);
  }
});

test('a series of a replaced snapshot keeps its count; a new label value is a new series', () => {
  const m = new MeshMetrics();
  const first = snapshotLabels()[0]!;
  m.request(first, 200, '-', 1, 0, 10);
  m.request(first, 200, '-', 1, 0, 10);
  const next = snapshotLabels()[0]!;
  m.request(next, 200, '-', 1, 0, 10);
  const v3 = istioLabels('source', web, api('v3'), { name: 'api', namespace: 'default' }, 'http');
  m.request(v3, 200, '-', 1, 0, 10);
  const lines = m.text().split('\n').filter((l) => l.startsWith('istio_requests_total{'));
  assert.equal(lines.map((l) => l.slice(l.lastIndexOf(' ') + 1)), ['3', '1']);
  assert.match(lines[0]!, /destination_version="v1".*,response_code="200",response_flags="-"\} 3$/);
});

test('metrics off: nothing is recorded, the registry still answers', () => {
  const m = new MeshMetrics(false);
  m.request(snapshotLabels()[0]!, 200, '-', 1, 0, 10);
  m.tcpOpened(tcpLabels()[0]!);
  assert.not.match(m.text(), /istio_requests_total\{/);
  assert.match(m.text(), /\ndockmesh_config_version 0\n/);
});

test.run();
