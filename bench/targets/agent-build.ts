/**
 * How the bench runs the agent: bundled like the image, with the image's Node flags.
 *
 * 1. A fresh bundle of the current agent/ made with scripts/bundle.ts into the run's scratch
 *    directory (so a stale .build/ is never measured);
 * 2. else `.build/agent/agent.mjs` from `npm run build`;
 * 3. else agent/main.ts through tsx (whose loader thread adds tens of MB of RSS: noted in the results).
 * Node flags: BENCH_AGENT_NODE_FLAGS (space-separated) if set, else those of the image's ENTRYPOINT.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFlagsFromDockerfile } from './agent-entrypoint.ts';
import { TargetUnavailable } from './target.ts';

export interface AgentRunner {
  /** Arguments for `node` before the agent's own flags. */
  nodeArgs: string[];
  /** One line on what runs, for RESULTS.md. */
  how: string;
}

const cache = new Map<string, AgentRunner>();

export function agentRunner(repoRoot: string, workDir: string): AgentRunner {
  const key = `${repoRoot}\u0000${workDir}`;
  let r = cache.get(key);
  if (!r) {
    r = resolveRunner(repoRoot, workDir);
    cache.set(key, r);
  }
  return r;
}

function resolveRunner(repoRoot: string, workDir: string): AgentRunner {
  const main = join(repoRoot, 'agent/main.ts');
  if (!existsSync(main)) throw new TargetUnavailable('agent not available: agent/main.ts does not exist yet');
  const flags = nodeFlags(repoRoot);
  const flagNote = flags.length ? `node ${flags.join(' ')}` : 'node, no extra flags (as the image)';
  const outDir = join(workDir, 'build');
  const bundled = join(outDir, 'agent/agent.mjs');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/bundle.ts'), 'agent', '--out-dir', outDir], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status === 0 && existsSync(bundled)) return { nodeArgs: [...flags, bundled], how: `fresh esbuild bundle of agent/ (as in the image), ${flagNote}` };
  const built = join(repoRoot, '.build/agent/agent.mjs');
  if (existsSync(built)) return { nodeArgs: [...flags, built], how: `.build/agent/agent.mjs (bundling now failed), ${flagNote}` };
  return { nodeArgs: ['--import', 'tsx', ...flags, main], how: `agent/main.ts through tsx (bundling failed; tsx's loader thread inflates RSS), ${flagNote}` };
}

function nodeFlags(repoRoot: string): string[] {
  const env = process.env.BENCH_AGENT_NODE_FLAGS;
  if (env !== undefined) return env.split(/\s+/).filter(Boolean);
  try {
    return nodeFlagsFromDockerfile(readFileSync(join(repoRoot, 'compose/agent/Dockerfile'), 'utf8'));
  } catch {
    return [];
  }
}
