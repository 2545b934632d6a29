/** `mesh demo`: runs the examples/shop demo (the same as `npm run demo` in a checkout). */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function demo(): Promise<number> {
  const root = resolve(import.meta.dirname, '..', '..');
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const child = spawn(process.execPath, ['--import', tsx, join(root, 'scripts', 'demo.ts')], { stdio: 'inherit', cwd: root });
  return new Promise((done) => child.on('close', (code) => done(code ?? 1)));
}
