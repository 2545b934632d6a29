/** `mesh status`: the control server and every agent, as a table or `--json`. */
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { apiToken } from '../home.ts';
import { controlClient } from '../control-container.ts';
import { table } from '../table.ts';
import { stackViews } from '../observability-stack.ts';

export interface StatusFlags extends ProjectFlags {
  json?: boolean;
}

export async function status(flags: StatusFlags): Promise<number> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  const s = await client.status();
  const stack = await stackViews(docker, project.name);
  if (flags.json) {
    process.stdout.write(JSON.stringify(stack.length ? { ...s, observability: stack } : s, null, 2) + '\n');
  } else {
    process.stdout.write(`project ${s.control.project}: control up ${s.control.uptimeSeconds}s, config version ${s.configVersion}\n`);
    const m = s.meshfile;
    if (m?.file) {
      const state = m.version ? `v${m.version} in force since ${m.appliedAt}` : 'not loaded (defaults in force)';
      process.stdout.write(`meshfile ${m.file}: ${state}${m.notice ? ` (${m.notice})` : ''}\n`);
      if (!m.valid) process.stdout.write('  last save rejected, nothing changed:\n');
      for (const d of [...m.errors, ...m.warnings]) {
        process.stdout.write(`  ${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`);
      }
    }
    for (const c of s.canaries ?? []) {
      process.stdout.write(`canary ${c.name} (${c.target}): ${c.phase}, canary weight ${c.canaryWeight}%, ${c.failedChecks}/${c.threshold} failed checks: ${c.message} (mesh canary has more)\n`);
    }
    if (stack.length) process.stdout.write(`observability: ${stack.map((v) => `${v.component} ${v.url ?? v.state}`).join(', ')}\n`);
    process.stdout.write('\n');
    process.stdout.write(
      table(
        ['SERVICE', 'CONTAINER', 'READY', 'CONFIG', 'PORTS', 'NOTE'],
        s.agents.map((a) => [
          a.service,
          a.containerName,
          a.ready ? 'yes' : 'no',
          a.configVersion === a.desiredVersion ? `v${a.configVersion}` : `v${a.configVersion} (want v${a.desiredVersion})`,
          a.ports.join(',') || '-',
          a.lastNack ? `NACK ${a.lastNack}` : a.ready ? '' : a.reason ?? '',
        ]),
      ),
    );
  }
  return s.agents.every((a) => a.ready) ? 0 : 5;
}
