/**
 * How the bench runs the project's programs: bundled like the images, with the images' Node flags.
 *
 * 1. A fresh bundle of the entry made with scripts/bundle.ts into the run's scratch directory (so a
 *    stale .build/ is never measured);
 * 2. else the program's `.build/` bundle from `npm run build`, when it has one;
 * 3. else the entry through tsx (whose loader thread adds tens of MB of RSS: noted in the results).
 * Node flags: the program's environment variable (space-separated) if set, else those of its image's
 * ENTRYPOINT. Environment: what the image's ENV lines set, always.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFromDockerfile, nodeFlagsFromDockerfile } from './image-entrypoint.ts';
import { TargetUnavailable } from './target.ts';

export interface ProgramRunner {
  /** Arguments for `node` before the program's own flags. */
  nodeArgs: string[];
  /** Variables the image sets, to add to the environment. */
  env: Record<string, string>;
  /** One line on what runs, for RESULTS.md. */
  how: string;
}

/** A program the bench runs as its image does. */
export interface BundledProgram {
  /** The bundle's name (`<out-dir>/<name>/<name>.mjs`). */
  name: string;
  /** Its entry, relative to the repository. */
  entry: string;
  /** What RESULTS.md calls it ("agent/"). */
  label: string;
  /** The image whose ENTRYPOINT gives the Node flags, relative to the repository. */
  dockerfile: string;
  /** Overrides the Dockerfile's flags when set. */
  flagsEnv: string;
  /** `npm run build`'s bundle of the same entry, relative to the repository, if there is one. */
  built?: string;
}

/** The agent, as compose/agent/Dockerfile runs it. */
export const AGENT_PROGRAM: BundledProgram = {
  name: 'agent',
  entry: 'agent/main.ts',
  label: 'agent/',
  dockerfile: 'compose/agent/Dockerfile',
  flagsEnv: 'BENCH_AGENT_NODE_FLAGS',
  built: '.build/agent/agent.mjs',
};

const cache = new Map<string, ProgramRunner>();

export function agentRunner(repoRoot: string, workDir: string): ProgramRunner {
  return bundledRunner(repoRoot, workDir, AGENT_PROGRAM);
}

/** How to run `program` (bundled once per scratch directory). */
export function bundledRunner(repoRoot: string, workDir: string, program: BundledProgram): ProgramRunner {
  const key = `${repoRoot}\u0000${workDir}\u0000${program.name}`;
  let r = cache.get(key);
  if (!r) {
    r = resolveRunner(repoRoot, workDir, program);
    cache.set(key, r);
  }
  return r;
}

function resolveRunner(repoRoot: string, workDir: string, p: BundledProgram): ProgramRunner {
  const main = join(repoRoot, p.entry);
  if (!existsSync(main)) throw new TargetUnavailable(`${p.label} not available: ${p.entry} does not exist yet`);
  const flags = nodeFlags(repoRoot, p);
  const env = imageEnv(repoRoot, p);
  const flagNote = `${envText(env)}${flags.length ? `node ${flags.join(' ')}` : 'node, no extra flags (as the image)'}`;
  const outDir = join(workDir, 'build');
  const bundled = join(outDir, `${p.name}/${p.name}.mjs`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/bundle.ts'), `${p.name}=${p.entry}`, '--out-dir', outDir], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status === 0 && existsSync(bundled)) return { nodeArgs: [...flags, bundled], env, how: `fresh esbuild bundle of ${p.label} (as in the image), ${flagNote}` };
  const built = p.built === undefined ? undefined : join(repoRoot, p.built);
  if (built !== undefined && existsSync(built)) return { nodeArgs: [...flags, built], env, how: `${p.built} (bundling now failed), ${flagNote}` };
  return { nodeArgs: ['--import', 'tsx', ...flags, main], env, how: `${p.entry} through tsx (bundling failed; tsx's loader thread inflates RSS), ${flagNote}` };
}

function nodeFlags(repoRoot: string, p: BundledProgram): string[] {
  const env = process.env[p.flagsEnv];
  if (env !== undefined) return env.split(/\s+/).filter(Boolean);
  return imageNodeFlags(repoRoot, p);
}

/** `env` as a command line's prefix: `K=V K2=V2 ` ('' when empty). */
export function envText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}=${v} `).join('');
}

/** The variables `p`'s image sets ({} when its Dockerfile is unreadable). */
export function imageEnv(repoRoot: string, p: BundledProgram): Record<string, string> {
  try {
    return envFromDockerfile(readFileSync(join(repoRoot, p.dockerfile), 'utf8'));
  } catch {
    return {};
  }
}

/** The Node flags of `p`'s image ENTRYPOINT ([] when unreadable), whatever the environment says. */
export function imageNodeFlags(repoRoot: string, p: BundledProgram): string[] {
  try {
    return nodeFlagsFromDockerfile(readFileSync(join(repoRoot, p.dockerfile), 'utf8'));
  } catch {
    return [];
  }
}
