/**
 * `mesh up` on examples/shop, its agent containers' memory once idle, and replica start → agent
 * ready, on the real Docker engine (a project of its own, removed afterwards). Images are built
 * first, so `mesh up` is measured with images present, as issue 2 and 6 ask.
 */
import Docker from 'dockerode';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ensureImages } from '../../cli/images/ensure-images.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';
import { composeCommand } from '../../cli/compose-command.ts';
import { controlUrl } from '../../cli/control-container.ts';
import { ControlClient } from '../../cli/control-client.ts';
import { apiToken } from '../../cli/home.ts';
import { IDLE_SETTLE_MS } from '../plan.ts';
import type { SidecarMemory } from '../model.ts';
import { percentile } from '../stats/percentiles.ts';
import { measureSidecars } from './sidecar-memory.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOP = join(ROOT, 'examples', 'shop');

export interface MeshUpResults {
  /** Wall time of `mesh up` (CLI process start → exit), control not running before. */
  meshUpMs: number[];
  /** Docker's StartedAt of a new replica → its agent ready in the control server's status. */
  replicaReadyMs: number[];
  containers: number;
  /** The agent containers, `idleAfterMs` after the last `mesh up`. */
  sidecars: { idleAfterMs: number; containers: SidecarMemory[] };
}

function run(cmd: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { env, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr?.slice(-400)}`);
}

export async function runMeshUpBench(rounds = 3): Promise<MeshUpResults> {
  const docker = new Docker();
  await docker.ping();
  await ensureImages();
  await ensureExampleImage('shop');
  const project = `dmbench${randomBytes(3).toString('hex')}`;
  const env = { ...process.env, SHOP_PORT: '0' };
  const compose = [...(await composeCommand()), '-p', project, '-f', join(SHOP, 'docker-compose.yml')];
  const mesh = [process.execPath, join(ROOT, 'cli', 'bin.js')];
  const out: MeshUpResults = { meshUpMs: [], replicaReadyMs: [], containers: 0, sidecars: { idleAfterMs: IDLE_SETTLE_MS.full, containers: [] } };
  try {
    run([...compose, 'up', '-d'], env);
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      run([...mesh, 'up', '-p', project, '-f', join(SHOP, 'docker-compose.yml')], env);
      out.meshUpMs.push(performance.now() - t0);
      if (i < rounds - 1) run([...mesh, 'down', '-p', project, '-f', join(SHOP, 'docker-compose.yml')], env);
    }
    const client = new ControlClient(await controlUrl(docker, project), apiToken());
    out.containers = (await client.status()).agents.length;
    await new Promise((r) => setTimeout(r, out.sidecars.idleAfterMs));
    out.sidecars.containers = await measureSidecars(docker, project);
    for (let i = 0; i < rounds; i++) {
      run([...compose, 'up', '-d', '--no-recreate', '--scale', 'payments=2'], env);
      const replicas = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`, 'com.docker.compose.service=payments'] } });
      const fresh = replicas.find((c) => !c.Labels['dockmesh.role'] && /[-_]2$/.test(c.Names[0] ?? ''));
      if (!fresh) throw new Error('no second payments replica');
      const startedAt = Date.parse((await docker.getContainer(fresh.Id).inspect()).State.StartedAt);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const agent = (await client.status()).agents.find((a) => a.container === fresh.Id);
        if (agent?.ready) break;
        if (Date.now() > deadline) throw new Error('replica agent not ready in 30 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      out.replicaReadyMs.push(Date.now() - startedAt);
      run([...compose, 'up', '-d', '--no-recreate', '--scale', 'payments=1'], env);
    }
    return out;
  } finally {
    spawnSync(mesh[0]!, [...mesh.slice(1), 'down', '-p', project, '-f', join(SHOP, 'docker-compose.yml')], { env, timeout: 60_000 });
    spawnSync(compose[0]!, [...compose.slice(1), 'down', '-t', '1'], { env, timeout: 120_000 });
  }
}

/** Medians of a run, for the report. */
export function medians(r: MeshUpResults): { meshUpMs: number; replicaReadyMs: number } {
  return { meshUpMs: percentile(r.meshUpMs, 50), replicaReadyMs: percentile(r.replicaReadyMs, 50) };
}
