/**
 * Runs bench/mesh-up/ (examples/shop on the Docker engine) for `npm run bench` and maps its answer
 * to the results model. No engine, or a failure, makes a "not available" row, not a failed bench.
 */
import type { MeshUpFigures } from './model.ts';

export async function measureMeshUp(rounds = 3): Promise<MeshUpFigures> {
  try {
    const { runMeshUpBench } = await import('./mesh-up/mesh-up-bench.ts');
    const r = await runMeshUpBench(rounds);
    return { available: true, containers: r.containers, meshUpMs: r.meshUpMs, replicaReadyMs: r.replicaReadyMs, sidecars: r.sidecars };
  } catch (err) {
    return { available: false, reason: `not available: ${(err as Error).message.split('\n')[0]}` };
  }
}
