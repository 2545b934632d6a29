/** `mesh certs`: each workload's identity, serial, expiry and time to renewal, as a table or `--json`. */
import type { CertsView } from '../../wire/types.ts';
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { apiToken } from '../home.ts';
import { controlClient } from '../control-container.ts';
import { table } from '../table.ts';

export interface CertsFlags extends ProjectFlags {
  json?: boolean;
}

/** `1h 02m`, `59s`, `-3m 10s` (expired). */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${sign}${d}d ${String(h).padStart(2, '0')}h`;
  if (h) return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${sign}${m}m ${String(s).padStart(2, '0')}s`;
  return `${sign}${s}s`;
}

/** Pure: the human form of a CertsView at time `now`. */
export function formatCerts(view: CertsView, now: number): string {
  const roots = view.ca.roots.map((r) => (r.id === view.ca.signer ? `${r.id} (signing)` : r.id)).join(', ');
  const head = `CA roots: ${roots}${view.ca.rotating ? ' — rotation under way: both roots trusted' : ''}\n\n`;
  if (view.certificates.length === 0) return head + 'no workload certificate issued yet\n';
  return (
    head +
    table(
      ['SERVICE', 'CONTAINER', 'IDENTITY', 'SERIAL', 'ISSUER', 'EXPIRES', 'RENEWAL IN'],
      view.certificates.map((c) => {
        const renew = Date.parse(c.renewAt) - now;
        const expires = Date.parse(c.notAfter) - now;
        return [
          `${c.service}.${c.namespace}`,
          c.container.slice(0, 12),
          c.spiffeId,
          c.serial.slice(0, 16),
          c.issuer,
          expires < 0 ? `expired ${formatDuration(-expires)} ago` : `${c.notAfter} (${formatDuration(expires)})`,
          renew < 0 ? 'due' : formatDuration(renew),
        ];
      }),
    )
  );
}

export async function certs(flags: CertsFlags): Promise<number> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  const view = await client.certs();
  if (flags.json) process.stdout.write(JSON.stringify(view, null, 2) + '\n');
  else process.stdout.write(formatCerts(view, Date.now()));
  return view.certificates.some((c) => Date.parse(c.notAfter) < Date.now()) ? 5 : 0;
}
