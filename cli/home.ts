/** $DOCKMESH_HOME (default ~/.dockmesh): created once, shared by every project (like mkcert's CAROOT). */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKMESH_HOME || join(homedir(), '.dockmesh');
}

/** The CLI's API token (0600), created on first use. */
export function apiToken(env: NodeJS.ProcessEnv = process.env): string {
  const dir = homeDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'api-token');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}
