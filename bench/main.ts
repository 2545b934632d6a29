/**
 * `npm run bench`: measures direct, nginx, haproxy and dockmesh agents side by side on loopback and
 * writes bench/RESULTS.md and bench/results.json (quick mode: RESULTS.quick.md, results.quick.json).
 * Wiring only: see harness.ts for the run, report/ for the figures, docs/benchmarks.md for reading them.
 * Exit status 1 when a run failed (a crash, a wrk error) or the direct baseline is missing; an agent
 * that is not available yet is reported in the results, not an error.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { runBench } from './harness.ts';
import { runProfile } from './profile/profile-run.ts';
import type { BenchResults } from './model.ts';
import { parseOptions, USAGE } from './options.ts';
import { rejudge } from './report/goals.ts';
import { pausedNote, renderResultsMd, slowerNote, speedGauge } from './report/results-md.ts';
import { destroyAllProcesses } from './targets/managed-process.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const log = (s: string): void => {
  process.stdout.write(`bench: ${s}\n`);
};

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    destroyAllProcesses();
    process.stderr.write(`bench: ${sig}, stopped\n`);
    process.exit(130);
  });
}

if (options.render) {
  const file = resolve(options.render);
  const results = rejudge(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
  const md = join(dirname(file), basename(file).replace(/^results(.*)\.json$/, 'RESULTS$1.md'));
  writeFileSync(md, renderResultsMd(results));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`re-rendered ${relative(process.cwd(), md)} from ${relative(process.cwd(), file)}, its goals judged by the current rules`);
  process.exit(0);
}

if (options.profile) {
  process.exitCode = await guarded(() => runProfile(options, repoRoot, log));
} else {
  process.exitCode = await guarded(async () => {
    const { results, failures } = await runBench(options, repoRoot, log);
    if (!options.quick) {
      const reference = speedReference(join(repoRoot, 'bench/results.json'));
      if (reference) results.machine.speedReference = reference;
    }
    const outDir = resolve(repoRoot, options.outDir);
    mkdirSync(outDir, { recursive: true });
    const suffix = options.quick ? '.quick' : '';
    const md = join(outDir, `RESULTS${suffix}.md`);
    const json = join(outDir, `results${suffix}.json`);
    writeFileSync(md, renderResultsMd(results));
    writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${relative(process.cwd(), md)} and ${relative(process.cwd(), json)} in ${Math.round(results.elapsedS)} s`);
    for (const note of [slowerNote(results), pausedNote(results)]) if (note) log(`note: ${note}`);
    if (!results.cells.some((c) => c.target === 'direct')) failures.push('no measurement of the direct baseline');
    for (const f of failures) log(`FAILED: ${f}`);
    return failures.length ? 1 : 0;
  });
}

/** haproxy's CPU per request at saturation in a results file (the committed full run), if it has one. */
function speedReference(file: string): NonNullable<BenchResults['machine']['speedReference']> | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    const cpu = speedGauge(r.cells);
    return r.mode === 'full' && cpu != null && cpu > 0 ? { date: r.date, haproxyCpuUsPerRequest: cpu } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `body`; an unexpected error stops every process the bench started and is exit status 1. */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    destroyAllProcesses();
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}
