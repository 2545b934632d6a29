/**
 * Certificate renewal between real agents under steady load: leaves of a few seconds, renewed at two
 * thirds of their life; the server agent swaps its TLS context with setSecureContext and the client
 * agent uses the new certificate for new connections, while pooled connections keep theirs. Three
 * renewals on each side, zero failed requests.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { waitFor } from '../../support/wait-for.ts';
import { EchoApp, metricValue, type RunningAgent } from './agent-harness.ts';
import { LoopbackMesh, type MeshWorkload } from './mesh-harness.ts';

const WEB: MeshWorkload = { name: 'web', address: '127.0.0.5' };
const API: MeshWorkload = { name: 'api', address: '127.0.0.6' };
const LEAF_TTL_MS = 3000;

let mesh: LoopbackMesh;
let app: EchoApp;
let web: RunningAgent;
let api: RunningAgent;

test.before(async () => {
  app = await new EchoApp('api').listen('127.0.0.1');
  mesh = await new LoopbackMesh().start({ workloads: [WEB, API], leafTtlMs: LEAF_TTL_MS });
  api = await mesh.agent(API, ['--inbound', `${app.port}=${app.port}`, '--access-log', 'off']);
  web = await mesh.agent(WEB, ['--outbound', `api:${app.port}=0`, '--access-log', 'off']);
  await Promise.all([api, web].map((a) => mesh.ready(a)));
  await mesh.untilMeshed([web], 'api');
});

test.after(async () => {
  await mesh?.close();
  await app?.close();
});

test('three renewals on both agents under steady load: zero failed requests', async () => {
  const port = Object.values(web.ports.outbound)[0]!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const failures: string[] = [];
  let ok = 0;
  let stop = false;
  const issuedAtStart = { web: mesh.issued.get('web') ?? 0, api: mesh.issued.get('api') ?? 0 };
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: WEB.address, port, path: '/load', headers: { host: 'api' }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failures.push(`status ${res.statusCode}`);
          resolve();
        });
      });
      req.on('error', (err) => {
        failures.push(err.message);
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (!stop) await one();
  };
  // Concurrency ramps up, so the client agent keeps opening new connections to the server agent
  // (with whatever certificates are current) while the pooled ones stay in use.
  const workers = [worker(), worker()];
  const closer = setInterval(() => {
    if (workers.length < 16) workers.push(worker());
  }, 400);
  try {
    await waitFor(
      () => (mesh.issued.get('web') ?? 0) >= issuedAtStart.web + 3 && (mesh.issued.get('api') ?? 0) >= issuedAtStart.api + 3,
      30_000,
      'three renewals of each leaf',
      100,
    );
  } finally {
    stop = true;
    clearInterval(closer);
    await Promise.all(workers);
    agent.destroy();
  }
  assert.equal(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  assert.ok(ok > 200, `${ok} requests`);
  const m = await mesh.metrics(web);
  const expiry = metricValue(m, 'dockmesh_cert_expiry_seconds');
  assert.ok(expiry > 0 && expiry <= 4, `expiry ${expiry} s`);
  const handshakes = metricValue(m, 'dockmesh_tls_handshakes_total', { direction: 'outbound' });
  assert.ok(handshakes >= 4, `new connections were made during the renewals (${handshakes})`);
  const served = metricValue(await mesh.metrics(api), 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'mutual_tls', response_code: '200' });
  assert.is(served, ok, 'every request went over mTLS');
});

test.run();
