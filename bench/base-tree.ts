/**
 * `npm run bench -- --base REV`: the agent targets run a second time, as `<id>@base`, from the tree
 * of another revision, interleaved with the working tree's in every round. On a machine whose speed
 * drifts by more than a change is worth, two runs one after the other compare the drift; the same
 * run compares the change.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetDef } from './targets/target.ts';

/** The suffix of a target run from the base revision. */
export const BASE_SUFFIX = '@base';

/**
 * Extracts revision `rev` of the repository into `dir` (its committed files, `git archive`) with the
 * working tree's node_modules linked in; returns the commit it resolved to. Throws a one-line Error
 * when `rev` names no commit.
 */
export function extractBase(repoRoot: string, rev: string, dir: string): string {
  let commit: string;
  try {
    commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error(`--base ${rev}: no such commit in ${repoRoot}`);
  }
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', repoRoot, 'archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  const modules = join(repoRoot, 'node_modules');
  if (existsSync(modules) && !existsSync(join(dir, 'node_modules'))) symlinkSync(modules, join(dir, 'node_modules'), 'dir');
  return commit;
}

/** Runs from the base tree: only targets that run the agent have a base variant. */
export const hasBase = (def: TargetDef): boolean => def.id.startsWith('agent-');

/**
 * `defs` with a base variant after each agent target: same target, its agent bundled from
 * `baseRoot` (its scratch files under `base/`), titled with the base commit.
 */
export function withBaseVariants(defs: readonly TargetDef[], baseRoot: string, commit: string): TargetDef[] {
  const out: TargetDef[] = [];
  for (const def of defs) {
    out.push(def);
    if (!hasBase(def)) continue;
    out.push({
      ...def,
      id: `${def.id}${BASE_SUFFIX}`,
      title: `${def.title} (base ${commit.slice(0, 7)})`,
      description: `${def.description}; the agent of commit ${commit.slice(0, 7)}`,
      start: (ctx) => {
        const workDir = join(ctx.workDir, 'base');
        mkdirSync(workDir, { recursive: true });
        return def.start({ ...ctx, agentRoot: baseRoot, workDir });
      },
    });
  }
  return out;
}
