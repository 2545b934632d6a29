/**
 * `mesh ca rotate`: host side, on $DOCKMESH_HOME/ca (no control server needed).
 *   mesh ca rotate            a new root joins the trust bundle; it signs new leaves once
 *                             `--propagation` (default 30 s) has passed, so that every agent trusts
 *                             it first. Running control servers pick the change up from the directory
 *                             and push the new bundle to their agents, which renew early.
 *   mesh ca rotate --status   what the directory says, changes nothing.
 *   mesh ca rotate --finish   drop the old root. Refused while a project given with -p/-f (or found
 *                             in the current directory) still lists a leaf signed by the old root,
 *                             unless --force.
 */
import type { CertsView } from '../../wire/types.ts';
import type { LocalCa, RotationStatus } from '../../control/ca/local-ca.ts';
import { openCa, caDir } from '../ca-home.ts';
import { UserError } from '../errors.ts';
import type { ProjectFlags } from '../project.ts';

export interface CaRotateFlags extends ProjectFlags {
  finish?: boolean;
  status?: boolean;
  force?: boolean;
  /** Seconds between adding the new root and signing with it. */
  propagation?: string;
  json?: boolean;
}

/** What `--finish` needs from a running project; injectable for tests. */
export interface CaRotateDeps {
  openCa(): Promise<LocalCa>;
  /** The project's issued certificates, or undefined when no control server can be asked. */
  listCerts(flags: ProjectFlags): Promise<CertsView | undefined>;
  out(text: string): void;
}

async function defaultListCerts(flags: ProjectFlags): Promise<CertsView | undefined> {
  try {
    const { connectEngine } = await import('../engine.ts');
    const { resolveProject } = await import('../project.ts');
    const { controlClient } = await import('../control-container.ts');
    const { apiToken } = await import('../home.ts');
    const docker = await connectEngine();
    const project = await resolveProject(docker, flags);
    return await (await controlClient(docker, project.name, apiToken())).certs();
  } catch {
    return undefined;
  }
}

const DEFAULT_DEPS: CaRotateDeps = { openCa: () => openCa(), listCerts: defaultListCerts, out: (t) => process.stdout.write(t) };

function describe(s: RotationStatus): string {
  const lines = [`CA directory: ${caDir()}`];
  for (const r of s.roots) lines.push(`  root ${r.id}  created ${r.createdAt}  expires ${r.notAfter}${r.id === s.signer ? '  (signing)' : ''}`);
  if (s.rotating) lines.push(`  rotation under way: both roots trusted; the new root signs from ${s.signFrom ?? 'now'}`);
  return lines.join('\n') + '\n';
}

export async function caRotate(flags: CaRotateFlags, deps: CaRotateDeps = DEFAULT_DEPS): Promise<number> {
  const ca = await deps.openCa();
  let st: RotationStatus;
  if (flags.status) {
    st = ca.rotationStatus();
  } else if (flags.finish) {
    const before = ca.rotationStatus();
    if (!before.rotating) throw new UserError('MESH_ERR_USAGE', 'no CA rotation under way (start one with mesh ca rotate)');
    if (!flags.force) {
      const view = await deps.listCerts(flags);
      if (!view) {
        throw new UserError('MESH_ERR_NOT_RUNNING', 'cannot check that every leaf was reissued (no control server answered for this project); run in the project directory, or pass --force');
      }
      const stale = view.certificates.filter((c) => c.issuer !== before.signer);
      if (stale.length) {
        throw new UserError(
          'MESH_ERR_NOT_READY',
          `${stale.length} workload certificate(s) still signed by the old root (${stale.map((c) => c.spiffeId).join(', ')}); wait for their renewal (mesh certs), or pass --force`,
        );
      }
    }
    st = await ca.finishRotation();
  } else {
    const seconds = flags.propagation === undefined ? 30 : Number(flags.propagation);
    if (!Number.isFinite(seconds) || seconds < 0) throw new UserError('MESH_ERR_USAGE', `--propagation must be a number of seconds, got ${flags.propagation}`);
    try {
      st = await ca.rotate({ propagationMs: seconds * 1000 });
    } catch (err) {
      throw new UserError('MESH_ERR_USAGE', (err as Error).message, { cause: err });
    }
  }
  deps.out(flags.json ? JSON.stringify(st, null, 2) + '\n' : describe(st));
  return 0;
}
