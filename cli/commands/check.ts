/**
 * `mesh check`: validates the meshfile like `istioctl analyze`, against the running project when
 * dockmesh runs in it (the control server's view of services and labels), else offline against
 * the compose file; also the compose file's dockmesh labels. Prints every diagnostic with
 * file:line:column; exit 0 only when clean.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { loadMeshfile } from '../../control/meshfile/load-meshfile.ts';
import { formatDiagnostic } from '../../control/meshfile/diagnostics.ts';
import type { MeshfileContext } from '../../control/meshfile/host-resolver.ts';
import { connectEngine } from '../engine.ts';
import { composeFilesOf, resolveProject, type ProjectFlags } from '../project.ts';
import { controlClient } from '../control-container.ts';
import { apiToken } from '../home.ts';
import { composeLabelProblems, composeServices } from '../compose-file.ts';
import { meshfilePath } from '../meshfile-path.ts';
import { EXIT, UserError } from '../errors.ts';

export interface CheckFlags extends ProjectFlags {
  meshfile?: string;
  json?: boolean;
  offline?: boolean;
}

interface Against {
  kind: 'running project' | 'compose file' | 'nothing';
  what: string;
  ctx?: MeshfileContext;
  directory: string;
}

async function liveContext(flags: CheckFlags): Promise<Against | undefined> {
  let docker: Docker;
  try {
    docker = await connectEngine(1500);
    const project = await resolveProject(docker, flags);
    const client = await controlClient(docker, project.name, apiToken());
    const ctx = await client.meshfileContext();
    return { kind: 'running project', what: project.name, ctx, directory: project.directory };
  } catch {
    return undefined;
  }
}

function composeContext(flags: CheckFlags): Against {
  const { directory: dir, files } = composeFilesOf(flags);
  const file = files[0];
  if (!file || !existsSync(file)) return { kind: 'nothing', what: 'no compose file found', directory: dir };
  return { kind: 'compose file', what: file, ctx: { services: composeServices(readFileSync(file, 'utf8')) }, directory: resolve(file, '..') };
}

export async function check(flags: CheckFlags): Promise<number> {
  const against = (!flags.offline && (await liveContext(flags))) || composeContext(flags);
  const file = meshfilePath(flags.meshfile, against.directory);
  if (!existsSync(file)) {
    throw new UserError('MESH_ERR_USAGE', `no meshfile at ${file}: pass --meshfile FILE (no meshfile is a valid mesh: every service with the defaults)`);
  }
  const result = loadMeshfile(readFileSync(file, 'utf8'), file, against.ctx);
  // The compose file's dockmesh labels too: a bad value would only show in the control server's log.
  const compose = composeFilesOf(flags).files[0];
  const labelProblems = compose && existsSync(compose) ? composeLabelProblems(readFileSync(compose, 'utf8'), compose) : [];
  const diagnostics = [...labelProblems, ...result.diagnostics];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ file, valid: result.valid, against: { kind: against.kind, what: against.what }, errors, warnings, diagnostics, disabled: result.disabled }, null, 2) + '\n',
    );
  } else {
    for (const d of diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
    const summary = errors + warnings === 0 ? 'no problems' : `${errors} error(s), ${warnings} warning(s)`;
    process.stdout.write(`${file}: ${summary} (checked against the ${against.kind}${against.kind === 'nothing' ? '' : ` ${against.what}`})\n`);
  }
  if (errors) return EXIT.meshfileErrors;
  return warnings ? EXIT.meshfileWarnings : EXIT.ok;
}
