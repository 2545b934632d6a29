/**
 * A Flagger Canary on the real engine: examples/shop with API_V2_CANARY=true (api-v2 labelled as
 * the canary of api, `dockmesh.canary: "true"`) and a meshfile holding only a Canary (the shop's
 * mesh.canary.yaml with a 2 s interval). While orders flow through web,
 * the control server (in its container) shifts api's traffic step by step, reads the canary agent's
 * metrics, promotes it, and then every order is served by v2.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh, runCommand } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';
import { findControl } from '../../cli/control-container.ts';
import type { CanaryStatusView } from '../../wire/types.ts';
import { API_CANARY_HEAD } from '../support/canary-controller.ts';

const SHOP = join(import.meta.dirname, '..', '..', 'examples', 'shop');

const CANARY = `${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 2s
    threshold: 3
    maxWeight: 50
    stepWeight: 25
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 10s
    - name: request-duration
      thresholdRange: {max: 2000}
      interval: 10s
`;

if (await requireEngine()) {
  await ensureExampleImage('shop');
  process.env.SHOP_PORT = '0';
  process.env.API_V2_CANARY = 'true';
  const p = new ComposeProject('dmflagger', '', SHOP);
  const dir = mkdtempSync(join(tmpdir(), 'dm-flagger-'));
  writeFileSync(join(dir, 'mesh.yaml'), CANARY);
  const flags = ['-p', p.name, '-f', p.file];
  let web = '';

  const order = async (i: number): Promise<string> => {
    const res = await fetch(`http://${web}:8080/api/orders/${i}`, { signal: AbortSignal.timeout(5000) });
    assert.is(res.status, 200);
    return ((await res.json()) as { api: { version: string } }).api.version;
  };
  const canaries = async (): Promise<CanaryStatusView[]> => {
    const r = await mesh(['canary', '--json', ...flags]);
    assert.is(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as CanaryStatusView[];
  };

  test.after(async () => {
    await p.destroy(true);
    rmSync(dir, { recursive: true, force: true });
  });

  test('mesh up: the Canary is watched, api v1 is its primary and v2 its canary', async () => {
    await p.up();
    const r = await mesh(['up', ...flags, '--meshfile', join(dir, 'mesh.yaml')]);
    assert.is(r.code, 0, r.stderr);
    web = await p.ip((await p.containers('web'))[0]!.Id);
    const [c] = await canaries();
    assert.equal([c!.name, c!.target, c!.primary.replicas, c!.canary.replicas], ['api', 'api', 1, 1]);
    const table = await mesh(['canary', ...flags]);
    assert.match(table.stdout, /^CANARY\s+TARGET\s+PHASE/);
    const st = await mesh(['status', ...flags]);
    assert.match(st.stdout, /canary api \(api\): \w+, canary weight \d+%/);
  });

  test('while orders flow, the canary advances 25% → 50%, passes its checks and is promoted; then v2 serves every order', async () => {
    const weights = new Set<number>();
    let stop = false;
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        await order(sent++);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const done = await waitFor(async () => {
        const [c] = await canaries();
        weights.add(c!.canaryWeight);
        return c!.phase === 'Succeeded' || c!.phase === 'Failed' ? c : undefined;
      }, 90_000, 'the canary to finish', 500);
      assert.is(done.phase, 'Succeeded', `${done.message}; last checks ${JSON.stringify(done.checks)}`);
      assert.is(done.canaryWeight, 100);
      assert.ok(weights.has(25) || weights.has(50), `intermediate weights seen: ${[...weights].join(', ')}`);
    } finally {
      stop = true;
      await traffic;
    }
    process.stdout.write(`  ${sent} orders during the analysis; weights seen ${[...weights].sort((a, b) => a - b).join(', ')}\n`);
    await waitFor(async () => (await order(0)) === 'v2', 10_000, 'v2 to take the traffic', 200);
    const versions = new Set<string>();
    for (let i = 0; i < 30; i++) versions.add(await order(i));
    assert.equal([...versions], ['v2']);
  });

  test('the control server restarted: the promoted canary stays promoted (its state is on the control volume)', async () => {
    const control = (await findControl(p.docker, p.name))!;
    await p.docker.getContainer(control.Id).restart({ t: 2 });
    const [c] = await waitFor(async () => {
      const r = await mesh(['canary', '--json', ...flags]);
      return r.code === 0 ? (JSON.parse(r.stdout) as CanaryStatusView[]) : undefined;
    }, 60_000, 'the control server back', 500);
    assert.equal([c!.phase, c!.canaryWeight], ['Succeeded', 100]);
    const versions: string[] = [];
    for (let i = 0; i < 20; i++) versions.push(await order(i));
    if (versions.some((v) => v !== 'v2')) {
      // What web's agent applies, and what the control server said, for the failure's message.
      const routes = JSON.parse((await mesh(['routes', 'web', '--json', ...flags])).stdout) as Array<{ appliedVersion: number; snapshot: { version: number; services: Array<{ name: string; http?: unknown }> } }>;
      const logs = await runCommand('docker', ['logs', '--tail', '40', control.Names[0]!.replace(/^\//, '')]);
      assert.unreachable(`orders after the restart: ${versions.join(' ')}; web applies v${routes[0]!.appliedVersion}: ${JSON.stringify(routes[0]!.snapshot.services.find((x) => x.name === 'api')?.http)}\n${logs.stdout}${logs.stderr}`);
    }
  });

  test('a new revision of v2 that fails half its orders restarts the analysis and is rolled back: v1 serves every order again', async () => {
    const before = (await canaries())[0]!;
    process.env.API_V2_FAIL_RATE = '0.5';
    const recreated = await p.compose(['up', '-d', '--no-deps', 'api-v2']);
    assert.is(recreated.code, 0, recreated.stderr);
    const phases = new Set<string>();
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        await fetch(`http://${web}:8080/api/orders/${i}`, { signal: AbortSignal.timeout(5000) }).then((r) => r.arrayBuffer(), () => undefined);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const done = await waitFor(async () => {
        const [c] = await canaries();
        phases.add(c!.phase);
        return c!.phase === 'Failed' || (c!.phase === 'Succeeded' && c!.lastTransitionTime !== before.lastTransitionTime) ? c : undefined;
      }, 120_000, 'the new revision to be analysed', 500);
      assert.is(done.phase, 'Failed', done.message);
      assert.is(done.canaryWeight, 0);
      assert.ok(phases.has('Progressing'), [...phases].join(', '));
    } finally {
      stop = true;
      await traffic;
    }
    await waitFor(async () => (await order(0)) === 'v1', 10_000, 'v1 to take the traffic back', 200);
    const versions = new Set<string>();
    for (let i = 0; i < 30; i++) versions.add(await order(i));
    assert.equal([...versions], ['v1']);
  });

  test.run();
}
