/** Where the meshfile is: `--meshfile`, else `mesh.yaml` beside the compose file (project directory). */
import { join, resolve } from 'node:path';

export function meshfilePath(flag: string | undefined, projectDirectory: string, cwd = process.cwd()): string {
  return flag ? resolve(cwd, flag) : join(projectDirectory, 'mesh.yaml');
}
