/**
 * Hot reload on examples/shop, real engine: a saved route change moves live traffic, a broken save
 * changes nothing and is reported with file:line:column, fixing it applies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';
import type { StatusView } from '../../wire/types.ts';

const SHOP = join(import.meta.dirname, '..', '..', 'examples', 'shop');

/** A meshfile sending all of api's traffic to one subset (and x-canary: always to the other). */
function allTo(subset: 'v1' | 'v2'): string {
  const other = subset === 'v1' ? 'v2' : 'v1';
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: api
spec:
  hosts: [api]
  http:
  - match:
    - headers:
        x-canary: {exact: always}
    route:
    - destination: {host: api, subset: ${other}}
  - route:
    - destination: {host: api, subset: ${subset}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
spec:
  host: api
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
`;
}

if (await requireEngine()) {
  await ensureExampleImage('shop');
  process.env.SHOP_PORT = '0';
  const p = new ComposeProject('dmreload', '', SHOP);
  const dir = mkdtempSync(join(tmpdir(), 'dm-meshfile-'));
  const meshfile = join(dir, 'mesh.yaml');
  const flags = ['-p', p.name, '-f', p.file];
  let web = '';

  async function status(): Promise<StatusView> {
    return JSON.parse((await mesh(['status', '--json', ...flags])).stdout) as StatusView;
  }

  /** Versions of api answering `n` orders from web (with or without the canary header). */
  async function versions(n: number, canary = false): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await fetch(`http://${web}:8080/api/orders/${i}`, {
        headers: canary ? { 'x-canary': 'always' } : {},
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { api: { version: string } };
      seen[body.api.version] = (seen[body.api.version] ?? 0) + 1;
    }
    return seen;
  }

  /** Saves the meshfile; resolves ms until every agent ACKed a config newer than before. */
  async function save(text: string): Promise<number> {
    const before = await status();
    const t0 = Date.now();
    writeFileSync(meshfile, text);
    await waitFor(
      async () => {
        const s = await status();
        return s.meshfile!.version > before.meshfile!.version && s.agents.every((a) => a.configVersion === a.desiredVersion);
      },
      5000,
      'meshfile applied in every agent',
      25,
    );
    return Date.now() - t0;
  }

  test.after(async () => {
    await p.destroy(true);
    rmSync(dir, { recursive: true, force: true });
  });

  test('mesh up with a meshfile: routes in force from the start', async () => {
    writeFileSync(meshfile, allTo('v1'));
    await p.up();
    const r = await mesh(['up', ...flags, '--meshfile', meshfile]);
    assert.is(r.code, 0, r.stderr);
    web = await p.ip((await p.containers('web'))[0]!.Id);
    assert.equal(await versions(20), { v1: 20 });
    assert.equal(await versions(10, true), { v2: 10 }, 'header-matched route to the other subset');
  });

  test('saving a changed route moves live traffic', async () => {
    const ms = await save(allTo('v2'));
    process.stdout.write(`  save → applied in all 5 agents: ${ms} ms\n`);
    assert.equal(await versions(20), { v2: 20 });
    assert.equal(await versions(10, true), { v1: 10 });
  });

  test('a broken save changes nothing and is reported with file:line:column; fixing it applies', async () => {
    const good = readFileSync(meshfile, 'utf8');
    const before = await status();
    writeFileSync(meshfile, good.replace('subsets:', 'subsets:\n  - name: [broken'));
    const s = await waitFor(async () => {
      const st = await status();
      return st.meshfile!.valid === false ? st : null;
    }, 5000, 'the broken save reported');
    assert.is(s.meshfile!.version, before.meshfile!.version, 'nothing new in force');
    const e = s.meshfile!.errors[0]!;
    assert.is(e.file, meshfile);
    assert.ok(e.line > 0 && e.column > 0);
    assert.equal(await versions(10), { v2: 10 }, 'traffic still follows the last good config');
    const check = await mesh(['check', ...flags, '--meshfile', meshfile]);
    assert.is(check.code, 7);
    assert.match(check.stdout, new RegExp(`${meshfile}:\\d+:\\d+: error MESH_ERR_`));

    await save(allTo('v1'));
    const fixed = await status();
    assert.ok(fixed.meshfile!.valid);
    assert.equal(fixed.meshfile!.errors, []);
    assert.equal(await versions(10), { v1: 10 });
  });

  test('deleting the meshfile keeps the last good config', async () => {
    rmSync(meshfile);
    const s = await waitFor(async () => {
      const st = await status();
      return st.meshfile!.notice ? st : null;
    }, 5000, 'deletion noticed');
    assert.match(s.meshfile!.notice!, /deleted/);
    assert.equal(await versions(10), { v1: 10 });
  });

  test.run();
}
