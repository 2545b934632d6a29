import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { callWebhook } from '../../../control/canary/canary-webhook.ts';
import { CanaryController } from '../../../control/canary/canary-controller.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { meshfileContext } from '../../../control/compile/snapshot.ts';
import { API_ONE_STEP_CANARY, canaryRegistry, controllerOptions } from '../../support/canary-controller.ts';

let answers: number[] = [];
const seen: Array<{ method: string; type: string; body: unknown }> = [];
const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    seen.push({ method: req.method!, type: String(req.headers['content-type']), body: JSON.parse(text) });
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
    res.writeHead(answers.shift() ?? 200).end('answer');
  });
});
let url = '';
const payload = { name: 'api', namespace: 'default', phase: 'Progressing', checksum: 'abc' };

test.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
test.after(() => {
  server.closeAllConnections();
  server.close();
});

test('a POST of Flagger\'s payload with the metadata; 200–202 succeed, 204 and 403 fail with the answer', async () => {
  seen.length = 0;
  answers = [202, 204, 403];
  assert.equal(await callWebhook({ name: 'h', url, metadata: { cmd: 'x' } }, payload), { ok: true });
  assert.equal(seen[0], { method: 'POST', type: 'application/json', body: { ...payload, metadata: { cmd: 'x' } } });
  assert.equal(await callWebhook({ name: 'h', url }, payload), { ok: false, error: `h (${url}): 204` });
  assert.equal(await callWebhook({ name: 'h', url }, payload), { ok: false, error: `h (${url}): 403: answer` });
});

test('retries after 503 (not after 403); a timeout fails', async () => {
  seen.length = 0;
  answers = [503, 200];
  assert.equal(await callWebhook({ name: 'h', url, retries: 2 }, payload), { ok: true });
  assert.is(seen.length, 2);
  answers = [403, 200];
  assert.is((await callWebhook({ name: 'h', url, retries: 2 }, payload)).ok, false);
  const slow = await callWebhook({ name: 'h', url: `${url}/slow`, timeout: '200ms' }, payload);
  assert.is(slow.ok, false);
});

test('event webhooks get every step of the analysis as Flagger sends its events: the phase, and metadata eventMessage, eventType (Warning for a failed check or a failed analysis) and timestamp over the hook\'s own keys', async () => {
  seen.length = 0;
  answers = [];
  const r = canaryRegistry();
  const loaded = loadMeshfile(
    `${API_ONE_STEP_CANARY}    webhooks:
    - name: events
      type: event
      url: ${url}/events
      metadata: {channel: deploys, eventType: mine}
`,
    'mesh.yaml',
    meshfileContext(r.view()),
  );
  assert.equal(loaded.diagnostics, [], 'an event webhook is no longer reported as unsupported');
  let ok = 0;
  let failed = 0;
  let now = 1_000_000;
  const c = new CanaryController(
    controllerOptions(r, loaded.spec, {
      fetchMetrics: async () => `istio_requests_total{reporter="destination",destination_service_name="api",response_code="200"} ${ok}\nistio_requests_total{reporter="destination",destination_service_name="api",response_code="500"} ${failed}\n`,
      now: () => now,
    }),
  );
  c.sync();
  const tick = async () => {
    now += 60_000;
    await c.tickAll();
  };
  await tick(); // new revision: Progressing
  await tick(); // weight 50
  ok += 100;
  failed += 50;
  await tick(); // a failed check
  await tick(); // threshold reached: Failed
  await tick(); // nothing changes: no event
  c.close();
  const events = seen.map((e) => e.body as { name: string; namespace: string; phase: string; checksum: string; metadata: Record<string, string> });
  assert.equal(
    events.map((e) => [e.phase, e.metadata.eventType, e.metadata.eventMessage]),
    [
      ['Progressing', 'Normal', 'new revision detected: progressing canary analysis'],
      ['Progressing', 'Normal', 'advance: canary weight 50'],
      ['Progressing', 'Warning', events[2]!.metadata.eventMessage],
      ['Failed', 'Warning', events[3]!.metadata.eventMessage],
    ],
  );
  assert.match(events[2]!.metadata.eventMessage, /halt advancement: request-success-rate 66\.67 < 99/);
  assert.equal(events[3]!.metadata.eventMessage, 'canary analysis failed after 1 failed checks: every request goes to the primary');
  for (const e of events) {
    assert.equal([e.name, e.namespace, e.metadata.channel, typeof e.checksum], ['api', 'default', 'deploys', 'string']);
    assert.ok(/^\d+$/.test(e.metadata.timestamp!), 'timestamp: Unix milliseconds');
  }
  assert.equal(events.map((e) => Number(e.metadata.timestamp)), [1_060_000, 1_120_000, 1_180_000, 1_240_000]);
  assert.ok(seen.every((e) => e.method === 'POST' && e.type === 'application/json'));
});

test.run();
