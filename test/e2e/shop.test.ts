/**
 * examples/shop on a real engine: mesh up gives every container one ready agent, and an order
 * through web → api → payments, inventory passes through the agents of both ends of every hop.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh } from '../support/run-command.ts';
import { fetchMetrics, sumMetric } from '../support/metrics.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';
import type { StatusView } from '../../wire/types.ts';

const SHOP = join(import.meta.dirname, '..', '..', 'examples', 'shop');

if (await requireEngine()) {
  await ensureExampleImage('shop');
  process.env.SHOP_PORT = '0'; // an ephemeral host port: never collide with a running demo
  const p = new ComposeProject('dmshop', '', SHOP);
  // No meshfile (an empty one): DESIGN.md's defaults, round-robin over api v1 and v2. The shop's
  // own mesh.yaml (a 90/10 canary) is exercised by shop-canary.test.ts.
  const noMeshfile = join(mkdtempSync(join(tmpdir(), 'dm-nomesh-')), 'mesh.yaml');
  const flags = ['-p', p.name, '-f', p.file];

  test.after(async () => {
    await p.destroy(true);
  });

  test('mesh up: one ready agent per shop container', async () => {
    await p.up();
    const r = await mesh(['up', ...flags, '--meshfile', noMeshfile]);
    assert.is(r.code, 0, r.stderr);
    const s = JSON.parse((await mesh(['status', '--json', ...flags])).stdout) as StatusView;
    assert.equal(s.agents.map((a) => a.service).sort(), ['api', 'api', 'inventory', 'payments', 'web']);
    assert.ok(s.agents.every((a) => a.ready));
    const agents = await p.meshContainers('agent');
    assert.is(agents.length, 5);
    assert.is(new Set(agents.map((a) => a.Labels['dockmesh.agent-for'])).size, 5);
  });

  test('an order passes through the agents at both ends of every hop', async () => {
    const ip = async (svc: string) => p.ip((await p.containers(svc))[0]!.Id);
    const [web, v1, v2, payments, inventory] = await Promise.all(['web', 'api-v1', 'api-v2', 'payments', 'inventory'].map(ip));
    const before = {
      webOut: sumMetric(await fetchMetrics(web!), 'istio_requests_total', { reporter: 'source', destination_service_name: 'api' }),
      payIn: sumMetric(await fetchMetrics(payments!), 'istio_requests_total', { reporter: 'destination', source_workload: 'api-v1' }) +
        sumMetric(await fetchMetrics(payments!), 'istio_requests_total', { reporter: 'destination', source_workload: 'api-v2' }),
    };
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://${web}:8080/api/orders/${i}`, { signal: AbortSignal.timeout(5000) });
      assert.is(res.status, 200);
      const body = (await res.json()) as { api: { version: string; payment: { status: string }; inventory: { in_stock: boolean } } };
      versions.add(body.api.version);
      assert.is(body.api.payment.status, 'paid');
      assert.is(typeof body.api.inventory.in_stock, 'boolean');
    }
    assert.equal([...versions].sort(), ['v1', 'v2'], 'round-robin reaches both api versions');
    const webOut = sumMetric(await fetchMetrics(web!), 'istio_requests_total', { reporter: 'source', destination_service_name: 'api' });
    assert.is(webOut - before.webOut, 10);
    const apiIn =
      sumMetric(await fetchMetrics(v1!), 'istio_requests_total', { reporter: 'destination', source_workload: 'web' }) +
      sumMetric(await fetchMetrics(v2!), 'istio_requests_total', { reporter: 'destination', source_workload: 'web' });
    assert.ok(apiIn >= 10, `api agents saw ${apiIn} requests from web`);
    const payMetrics = await fetchMetrics(payments!);
    const payIn =
      sumMetric(payMetrics, 'istio_requests_total', { reporter: 'destination', source_workload: 'api-v1' }) +
      sumMetric(payMetrics, 'istio_requests_total', { reporter: 'destination', source_workload: 'api-v2' });
    assert.is(payIn - before.payIn, 10);
    const invIn = sumMetric(await fetchMetrics(inventory!), 'istio_requests_total', { reporter: 'destination', destination_service_name: 'inventory' });
    assert.ok(invIn >= 10);
  });

  test('mesh down: apps keep serving', async () => {
    const r = await mesh(['down', ...flags]);
    assert.is(r.code, 0, r.stderr);
    assert.is((await p.meshContainers()).length, 0);
    const web = await p.ip((await p.containers('web'))[0]!.Id);
    const res = await fetch(`http://${web}:8080/api/orders/1`, { signal: AbortSignal.timeout(5000) });
    assert.is(res.status, 200);
  });

  test.run();
}
