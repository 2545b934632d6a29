/**
 * The external tools the bench needs (nginx, haproxy, wrk from Debian, taskset), installed with
 * apt-get when missing, and their versions.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on PATH (plus the sbin dirs), or undefined. */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Debian package of each tool. */
const PACKAGES: Record<string, string> = { nginx: 'nginx', haproxy: 'haproxy', wrk: 'wrk', taskset: 'util-linux' };

/**
 * Installs the missing tools with `apt-get install -y` (running `apt-get update` once if the first
 * attempt fails). Returns one line per tool that is still missing afterwards.
 */
export function ensureTools(tools: readonly string[], log: (s: string) => void): string[] {
  const missing = tools.filter((t) => !which(t));
  if (missing.length === 0) return [];
  const pkgs = [...new Set(missing.map((t) => PACKAGES[t] ?? t))];
  if (!which('apt-get')) return missing.map((t) => `${t}: missing and no apt-get to install it`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing ${pkgs.join(' ')} with apt-get`);
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env, timeout: 600_000 });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 600_000 });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env, timeout: 600_000 });
  }
  return tools.filter((t) => !which(t)).map((t) => `${t}: apt-get install ${PACKAGES[t] ?? t} failed (exit ${r.status})`);
}

/** Version strings of the tools, `—` for a missing one. */
export function toolVersions(): Record<string, string> {
  const run = (cmd: string, args: string[], pick: RegExp): string => {
    const bin = which(cmd);
    if (!bin) return '—';
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
    const m = pick.exec(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
    return m ? m[1]! : '?';
  };
  return {
    node: process.version,
    nginx: run('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: run('haproxy', ['-v'], /HAProxy version (\S+)/),
    wrk: run('wrk', ['-v'], /wrk (\S+)/),
  };
}
