/**
 * `mesh canary [name]`: the Flagger Canaries the control server runs: phase, weights, failed checks,
 * the last metric checks and what the analysis is waiting for (docs/canary.md).
 */
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { controlClient } from '../control-container.ts';
import { apiToken } from '../home.ts';
import { table } from '../table.ts';
import { UserError } from '../errors.ts';
import type { CanaryStatusView } from '../../wire/types.ts';

export interface CanaryFlags extends ProjectFlags {
  json?: boolean;
}

function checksText(c: CanaryStatusView): string {
  if (c.checks.length === 0) return '-';
  return c.checks
    .map((k) => {
      const v = k.value === undefined ? (k.error ? `error: ${k.error}` : 'no data') : Number.isInteger(k.value) ? `${k.value}` : k.value.toFixed(2);
      const bound = k.min !== undefined ? ` (min ${k.min})` : k.max !== undefined ? ` (max ${k.max})` : '';
      return `${k.metric} ${v}${bound} ${k.ok ? 'ok' : 'FAIL'}`;
    })
    .join('; ');
}

/** The table `mesh canary` prints (pure). */
export function canaryTable(list: readonly CanaryStatusView[]): string {
  return table(
    ['CANARY', 'TARGET', 'PHASE', 'WEIGHT', 'FAILED CHECKS', 'REPLICAS', 'LAST CHECK', 'MESSAGE'],
    list.map((c) => [
      c.name,
      c.target,
      c.phase,
      c.abTesting
        ? 'A/B (matching requests)'
        : `${c.primary.subset} ${c.primaryWeight}%, ${c.canary.subset} ${c.canaryWeight}%${c.mirrored ? ' (mirrored to the canary)' : ''}${c.sessionAffinity?.canaryCookie ? `, sticky (cookie ${c.sessionAffinity.canaryCookie.split('=')[0]})` : ''}`,
      `${c.failedChecks}/${c.threshold}`,
      `${c.primary.replicas} primary, ${c.canary.replicas} canary`,
      checksText(c),
      c.message,
    ]),
  );
}

export async function canary(name: string | undefined, flags: CanaryFlags): Promise<number> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  let list = await client.canaries();
  if (name !== undefined) {
    list = list.filter((c) => c.name === name || c.target === name);
    if (list.length === 0) throw new UserError('MESH_ERR_USAGE', `no Canary "${name}" in project ${project.name}'s meshfile (mesh canary lists them)`);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`no Canary in project ${project.name}'s meshfile\n`);
    return 0;
  }
  process.stdout.write(canaryTable(list));
  return 0;
}
