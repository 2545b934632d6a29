/** Which compose the machine has: `docker compose` (v2) if it answers, else `docker-compose` (v1). */
import { execFile } from 'node:child_process';

let cached: Promise<string[]> | undefined;

export function composeCommand(): Promise<string[]> {
  cached ??= new Promise((resolve) => {
    execFile('docker', ['compose', 'version'], { timeout: 5000 }, (err) => {
      resolve(err ? ['docker-compose'] : ['docker', 'compose']);
    });
  });
  return cached;
}
