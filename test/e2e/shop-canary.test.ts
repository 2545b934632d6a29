/**
 * examples/shop with its own meshfile, live on the real engine: a 90/10 canary split between api
 * v1 and v2, and requests with `x-canary: always` routed to v2 by header.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';

const SHOP = join(import.meta.dirname, '..', '..', 'examples', 'shop');
const SAMPLE = 300;

if (await requireEngine()) {
  await ensureExampleImage('shop');
  process.env.SHOP_PORT = '0';
  const p = new ComposeProject('dmcanary', '', SHOP);
  const flags = ['-p', p.name, '-f', p.file, '--meshfile', join(SHOP, 'mesh.yaml')];
  let web = '';

  async function versions(n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await fetch(`http://${web}:8080/api/orders/${i}`, { headers, signal: AbortSignal.timeout(5000) });
      assert.is(res.status, 200);
      const body = (await res.json()) as { api: { version: string } };
      seen[body.api.version] = (seen[body.api.version] ?? 0) + 1;
    }
    return seen;
  }

  test.after(async () => {
    await p.destroy(true);
  });

  test('the shop meshfile is in force after mesh up', async () => {
    await p.up();
    const r = await mesh(['up', ...flags]);
    assert.is(r.code, 0, r.stderr);
    web = await p.ip((await p.containers('web'))[0]!.Id);
    const routes = await mesh(['routes', 'web', '-p', p.name, '-f', p.file]);
    assert.match(routes.stdout, /api\/v1 90%, api\/v2 10%/);
    // The telemetry in force for web's own traffic, per direction (no Telemetry documents: standard).
    assert.match(routes.stdout, /outbound \(CLIENT\) .* on +standard/);
    // Its inbound security: the mesh's mTLS mode and no RequestAuthentication.
    assert.match(routes.stdout, /^mTLS +(PERMISSIVE|STRICT|DISABLE)/m);
    assert.match(routes.stdout, /^request authentication +none/m);
  });

  test(`90/10 split: v2 gets 10% ± 5% of ${SAMPLE} orders`, async () => {
    const seen = await versions(SAMPLE);
    const v2 = (seen.v2 ?? 0) / SAMPLE;
    process.stdout.write(`  v1 ${seen.v1 ?? 0}, v2 ${seen.v2 ?? 0} of ${SAMPLE}\n`);
    assert.ok(v2 >= 0.05 && v2 <= 0.15, `v2 share ${v2}`);
    assert.is((seen.v1 ?? 0) + (seen.v2 ?? 0), SAMPLE);
  });

  test('x-canary: always goes to v2, every time', async () => {
    assert.equal(await versions(30, { 'x-canary': 'always' }), { v2: 30 });
  });

  /** Runs `mesh <args>` while orders flow through web, until it exits. */
  async function whileOrders(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let done = false;
    const run = mesh([...args, '-p', p.name, '-f', p.file], { timeoutMs: 60_000 }).finally(() => (done = true));
    for (let i = 0; !done && i < 2000; i++) {
      await fetch(`http://${web}:8080/api/orders/${i}`, { signal: AbortSignal.timeout(5000) });
      await new Promise((r) => setTimeout(r, 10));
    }
    return run;
  }

  test('mesh tap streams api\'s live requests: web → api inbound, api → payments and inventory outbound', async () => {
    const r = await whileOrders(['tap', 'api', '--max', '12', '--json']);
    assert.is(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { agent: string; direction: string; source_service: string; destination_service: string; status: number; path: string });
    assert.is(events.length, 12);
    assert.ok(events.every((e) => /api-v[12]/.test(e.agent) && e.status === 200), r.stdout);
    assert.ok(events.some((e) => e.direction === 'inbound' && e.source_service === 'web' && e.destination_service === 'api' && e.path.startsWith('/api/orders/')), r.stdout);
    assert.ok(events.some((e) => e.direction === 'outbound' && ['payments', 'inventory'].includes(e.destination_service)), r.stdout);
    const human = await whileOrders(['tap', 'web', '--to', 'api', '--max', '2']);
    assert.match(human.stdout, /outbound GET \/api\/orders\/\d+ +200 +[\d.]+ ms +web → api/);
  });

  test('mesh top: a table of web\'s requests by path with counts, latencies and success rate', async () => {
    const r = await whileOrders(['top', 'web', '--duration', '3s', '--json']);
    assert.is(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ source: string; destination: string; method: string; count: number; successRate: number }>;
    const inbound = rows.filter((x) => x.destination === 'web');
    assert.ok(inbound.length > 0 && inbound.every((x) => x.method === 'GET' && x.successRate === 1), r.stdout);
    assert.ok(rows.some((x) => x.source === 'web' && x.destination === 'api' && x.count >= 1), r.stdout);
    const text = await whileOrders(['top', 'web', '--duration', '2s']);
    assert.match(text.stdout, /^SOURCE\s+DESTINATION\s+METHOD\s+PATH\s+COUNT/);
  });

  test('mesh fault aborts every call to a service until cleared; --list shows it', async () => {
    const on = await mesh(['fault', 'payments', '--abort', '503', '--for', '60s', '-p', p.name, '-f', p.file]);
    assert.is(on.code, 0, on.stderr);
    const failing = async () => (await fetch(`http://${web}:8080/api/orders/1`, { signal: AbortSignal.timeout(5000) })).status;
    const deadline = Date.now() + 5000;
    let status = await failing();
    while (status === 200 && Date.now() < deadline) status = await failing();
    assert.is.not(status, 200, 'orders fail while payments is faulted');
    const list = JSON.parse((await mesh(['fault', '--list', '--json', '-p', p.name, '-f', p.file])).stdout) as Array<{ service: string }>;
    assert.equal(list.map((f) => f.service), ['payments']);
    const off = await mesh(['fault', '--clear', '-p', p.name, '-f', p.file]);
    assert.is(off.code, 0, off.stderr);
    const deadline2 = Date.now() + 5000;
    while ((await failing()) !== 200 && Date.now() < deadline2);
    for (let i = 0; i < 10; i++) assert.is(await failing(), 200);
  });

  test('mesh fault expires by itself', async () => {
    const on = await mesh(['fault', 'inventory', '--delay', '300ms', '--for', '2s', '-p', p.name, '-f', p.file]);
    assert.is(on.code, 0, on.stderr);
    const t0 = Date.now();
    await fetch(`http://${web}:8080/api/orders/1`, { signal: AbortSignal.timeout(5000) });
    const slow = Date.now() - t0;
    assert.ok(slow >= 300, `delayed: ${slow} ms`);
    await waitFor(async () => {
      const list = JSON.parse((await mesh(['fault', '--list', '--json', '-p', p.name, '-f', p.file])).stdout) as unknown[];
      return list.length === 0;
    }, 10_000, 'the fault to expire', 250);
    const snap = JSON.parse((await mesh(['routes', 'web', '--json', '-p', p.name, '-f', p.file])).stdout) as Array<{ snapshot: { services: Array<{ name: string; http?: Array<{ fault?: unknown }> }> } }>;
    const inventory = snap[0]!.snapshot.services.find((s) => s.name === 'inventory')!;
    assert.not.ok(inventory.http?.some((r) => r.fault), 'no fault left in the routes web applies');
  });

  test.run();
}
