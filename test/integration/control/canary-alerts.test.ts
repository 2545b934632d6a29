/**
 * Flagger's alerting with real HTTP: the canary controller posts to stand-ins for Slack and
 * Microsoft Teams incoming webhooks on loopback (the real services are not reachable from tests),
 * one of them through an HTTP CONNECT proxy (AlertProvider `proxy`). A run that fails and one that
 * is promoted, with severities filtering what each provider gets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { CanaryController } from '../../../control/canary/canary-controller.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { meshfileContext } from '../../../control/compile/snapshot.ts';
import { API_ONE_STEP_CANARY, canaryRegistry, controllerOptions } from '../../support/canary-controller.ts';

const posts: Array<{ path: string; type: string; body: Record<string, unknown> }> = [];
const receiver = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    posts.push({ path: req.url!, type: String(req.headers['content-type']), body: JSON.parse(text) });
    res.writeHead(req.url === '/broken' ? 500 : req.url === '/gate-closed' ? 403 : 200).end('ok');
  });
});
const tunnels: string[] = [];
const proxy = http.createServer((_req, res) => res.writeHead(405).end());
proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
  tunnels.push(req.url!);
  const [host, port] = req.url!.split(':');
  const upstream = net.connect(Number(port), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
let base = '';
let proxyUrl = '';

test.before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
test.after(() => {
  receiver.closeAllConnections();
  receiver.close();
  proxy.closeAllConnections();
  proxy.close();
});

function setup(gate: boolean, muteAlert = false) {
  const r = canaryRegistry();
  const loaded = loadMeshfile(
    `apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: slack}
spec: {type: slack, channel: deploys, address: "${base}/slack", proxy: "${proxyUrl}"}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: teams}
spec: {type: msteams, address: "${base}/teams"}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: broken}
spec: {type: slack, address: "${base}/broken"}
---
${API_ONE_STEP_CANARY}    alerts:
    - {name: everything, severity: info, providerRef: {name: slack}}
    - {name: failures, severity: error, providerRef: {name: teams}}
    - {name: down, providerRef: {name: broken}}
${gate ? `    webhooks:\n    - {name: gate, type: confirm-promotion, url: "${base}/gate-closed", muteAlert: ${muteAlert}}\n` : ''}`,
    'mesh.yaml',
    meshfileContext(r.view()),
  );
  assert.equal(loaded.diagnostics, []);
  let ok = 0;
  let failed = 0;
  const logged: Array<[string, Record<string, unknown> | undefined]> = [];
  const c = new CanaryController(
    controllerOptions(r, loaded.spec, {
      fetchMetrics: async () => `istio_requests_total{reporter="destination",destination_service_name="api",response_code="200"} ${ok}\nistio_requests_total{reporter="destination",destination_service_name="api",response_code="500"} ${failed}\n`,
      cluster: 'shop',
      log: (msg, fields) => logged.push([msg, fields]),
    }),
  );
  return { c, traffic: (good: number, bad: number) => ((ok += good), (failed += bad)), logged };
}

const texts = (path: string) =>
  posts.filter((p) => p.path === path).map((p) => (path === '/teams' ? (p.body.sections as Array<{ activityTitle: string }>)[0]!.activityTitle : (p.body.attachments as Array<{ text: string }>)[0]!.text));

test('a failing canary: every alert to the info provider (through its proxy), the failure alone to the error provider, a provider that answers 500 logged', async () => {
  posts.length = 0;
  tunnels.length = 0;
  const { c, traffic, logged } = setup(false);
  c.sync();
  await new Promise((r) => setTimeout(r, 200)); // the initialization alert is sent from sync()
  await c.tickAll(); // new revision
  await c.tickAll(); // weight 50
  traffic(50, 50);
  await c.tickAll(); // a failed check
  await c.tickAll(); // threshold: Failed
  c.close();
  assert.equal(texts('/slack'), ['New Deployment detected, initialization completed.', 'New revision detected, progressing canary analysis.', 'Failed checks threshold reached 1']);
  assert.equal(texts('/teams'), ['Failed checks threshold reached 1']);
  assert.equal(texts('/broken').length, 3, 'severity omitted: every alert (Flagger\'s documented default, info)');
  assert.ok(tunnels.length >= 1 && tunnels.every((t) => t === base.slice('http://'.length)), `the slack provider's posts went through its proxy: ${tunnels.join(', ')}`);
  const slack = posts.filter((p) => p.path === '/slack');
  assert.equal(slack[1]!.body.channel, 'deploys');
  assert.equal(slack.map((p) => (p.body.attachments as Array<{ color: string }>)[0]!.color), ['good', 'good', 'danger']);
  assert.equal((slack[1]!.body.attachments as Array<{ fields: Array<{ title: string; value: string }> }>)[0]!.fields.map((f) => `${f.title}: ${f.value}`), [
    'Cluster: shop',
    'Target: Deployment/api.default',
    'Failed checks threshold: 1',
    'Progress deadline: 600s',
    'Traffic routing: Weight step: 50 max: 50',
  ]);
  assert.ok(posts.every((p) => p.type === 'application/json'));
  assert.ok(logged.some(([msg, f]) => msg === 'canary alert not sent' && f?.alert === 'down' && /500/.test(String(f.error))), 'the 500 is logged');
});

test('a gate holds the promotion: "waiting for approval" once (warn: not to the error provider)', async () => {
  posts.length = 0;
  const { c, traffic } = setup(true);
  c.sync();
  await new Promise((r) => setTimeout(r, 200));
  await c.tickAll(); // new revision
  await c.tickAll(); // weight 50
  traffic(100, 0);
  await c.tickAll(); // WaitingPromotion
  traffic(100, 0);
  await c.tickAll(); // still waiting: no second alert
  c.close();
  assert.equal(texts('/slack'), ['New Deployment detected, initialization completed.', 'New revision detected, progressing canary analysis.', 'Canary promotion is waiting for approval.']);
  assert.equal(texts('/teams'), []);
});

test('the gate has muteAlert: no "waiting for approval" alert', async () => {
  posts.length = 0;
  const { c, traffic } = setup(true, true);
  c.sync();
  await new Promise((r) => setTimeout(r, 200));
  await c.tickAll();
  await c.tickAll();
  traffic(100, 0);
  await c.tickAll();
  assert.is(c.list()[0]!.phase, 'WaitingPromotion', 'the gate holds the promotion');
  c.close();
  assert.equal(texts('/slack'), ['New Deployment detected, initialization completed.', 'New revision detected, progressing canary analysis.']);
});

test.run();
