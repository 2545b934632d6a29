/**
 * `npm run bench -- --profile`: runs the agent targets under saturation with `node --cpu-prof`
 * (on top of the image's Node flags) and writes, per agent process, a flame graph SVG and the top
 * frames to bench/profiles/ (PROFILE.md indexes them). The .cpuprofile files stay in the run's
 * scratch directory (open them in Chrome DevTools or speedscope).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runBench } from '../harness.ts';
import type { BenchOptions } from '../options.ts';
import { AGENT_PROGRAM, imageNodeFlags } from '../targets/bundled-runner.ts';
import { bundleFilesLocator, foldProfile, topFrames, type CpuProfile, type ModuleLocator } from './cpu-profile.ts';
import { renderFlameGraph } from './flame-graph.ts';

export const PROFILE_TARGETS = ['agent-hop', 'agent-hop-obs', 'agent-pair-mtls'];
const PROFILE_SECONDS = 10;

export async function runProfile(o: BenchOptions, repoRoot: string, log: (s: string) => void): Promise<number> {
  const profDir = join(repoRoot, 'bench/.work', `profiles-${Date.now()}`);
  mkdirSync(profDir, { recursive: true });
  const image = imageNodeFlags(repoRoot, AGENT_PROGRAM);
  process.env.BENCH_AGENT_NODE_FLAGS = [...image, '--cpu-prof', `--cpu-prof-dir=${profDir}`].join(' ');
  const { results, failures, workDir } = await runBench(
    { ...o, quick: false, rounds: 1, durationS: o.durationS ?? PROFILE_SECONDS, targets: o.targets ?? PROFILE_TARGETS, loads: ['saturation'], controlPlane: false },
    repoRoot,
    log,
  );
  const names = processNames(workDir);
  const outDir = profileOutDir(repoRoot, o.outDir);
  mkdirSync(outDir, { recursive: true });
  const index: string[] = [
    '# Agent CPU profiles',
    '',
    `Made by \`npm run bench -- --profile\` on ${results.date}: each agent target under saturation (50 connections), sampled over the process's life: ` +
      `the warm-up until its throughput settles, then ${o.durationS ?? PROFILE_SECONDS} s measured. node ${results.versions.node}, \`--cpu-prof\` on top of the image's flags. Regenerate, do not edit.`,
    '',
  ];
  const bundleDir = join(workDir, 'build/agent');
  const locate: ModuleLocator | undefined = existsSync(bundleDir)
    ? bundleFilesLocator(new Map(readdirSync(bundleDir).filter((f) => f.endsWith('.mjs')).map((f) => [f, readFileSync(join(bundleDir, f), 'utf8')])))
    : undefined;
  const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
  for (const f of files.sort()) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f)?.[1]);
    const name = names.get(pid) ?? `pid-${pid}`;
    const root = foldProfile(JSON.parse(readFileSync(join(profDir, f), 'utf8')) as CpuProfile, locate);
    const target = targetOfProcess(name, results.cells.map((c) => c.target));
    const rps = results.cells.find((c) => c.target === target)?.requestsPerSec;
    const subtitle = `${(root.totalUs / 1e6).toFixed(2)} s of CPU sampled` + (rps ? `; ${Math.round(rps).toLocaleString('en-US')} req/s through the target` : '');
    writeFileSync(join(outDir, `${name}.svg`), renderFlameGraph(root, { title: `dockmesh ${name}: CPU under saturation`, subtitle }));
    const pct = (us: number) => `${((us / root.totalUs) * 100).toFixed(1)}%`;
    const top = topFrames(root, 25);
    index.push(`## ${name}`, '', `![${name}](${name}.svg)`, '', subtitle + '.', '', '| self | frame | | inclusive | frame |', '| ---: | --- | --- | ---: | --- |');
    for (let i = 0; i < 25; i++) {
      const s = top.self[i];
      const n = top.inclusive[i];
      index.push(`| ${s ? pct(s[1]) : ''} | ${s ? `\`${s[0]}\`` : ''} | | ${n ? pct(n[1]) : ''} | ${n ? `\`${n[0]}\`` : ''} |`);
    }
    index.push('');
    log(`profile: ${name}: ${relative(process.cwd(), join(outDir, `${name}.svg`))}`);
  }
  if (!files.length) failures.push(`no .cpuprofile written in ${profDir}`);
  writeFileSync(join(outDir, 'PROFILE.md'), `${index.join('\n')}\n`);
  for (const f of failures) log(`FAILED: ${f}`);
  return failures.length ? 1 : 0;
}

/**
 * The target an agent process belongs to, by its name (its scratch directory): the target itself
 * (`agent-hop-obs`), or a pair's agent (`agent-pair-mtls-client`, `-server`); not a shorter id the
 * name merely starts with (`agent-hop` for `agent-hop-obs`).
 */
export function targetOfProcess(name: string, targetIds: readonly string[]): string | undefined {
  return targetIds.find((id) => name === id || name === `${id}-client` || name === `${id}-server`);
}

/** Where --profile writes: bench/profiles unless --out names a directory (relative to the repository, or absolute). */
export function profileOutDir(repoRoot: string, outDir: string): string {
  return resolve(repoRoot, outDir === 'bench' ? 'bench/profiles' : outDir);
}

/** pid → agent process name (its scratch directory: agent-hop, agent-pair-mtls-client, ...), from the first log line carrying a pid. */
function processNames(workDir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of readdirSync(workDir, { withFileTypes: true })) {
    const logFile = join(workDir, d.name, 'agent.log');
    if (!d.isDirectory() || !existsSync(logFile)) continue;
    const pid = Number(/"pid":(\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1]);
    if (pid) out.set(pid, d.name);
  }
  return out;
}
