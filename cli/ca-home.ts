/**
 * The local CA's directory on the host: $DOCKMESH_HOME/ca (default ~/.dockmesh/ca), created once and
 * shared by every project. `mesh up` should open it before starting the control server, which then
 * only reads it (a bind mount; see docs/security.md).
 */
import { join } from 'node:path';
import { LocalCa } from '../control/ca/local-ca.ts';
import { homeDir } from './home.ts';

export function caDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(homeDir(env), 'ca');
}

/** Opens (creating on first use) the host's CA. */
export function openCa(env: NodeJS.ProcessEnv = process.env): Promise<LocalCa> {
  return LocalCa.open(caDir(env));
}
