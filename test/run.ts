/**
 * The test runner behind `npm test`: runs every uvu suite file in its own process (unit, then
 * integration, then e2e), streams their output, and ends with the line `N passed, N failed`.
 * A file that dies without uvu's summary counts as one failure.
 *
 * Usage: node --import tsx test/run.ts [unit|integration|e2e|path/to/file.test.ts ...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const GROUPS = ['unit', 'integration', 'e2e'] as const;
const FILE_TIMEOUT_MS: Record<string, number> = { unit: 60_000, integration: 180_000, e2e: 600_000 };

function findTests(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

function selectFiles(args: string[]): string[] {
  if (args.length === 0) return GROUPS.flatMap((g) => findTests(join(ROOT, 'test', g)));
  return args.flatMap((a) => {
    if ((GROUPS as readonly string[]).includes(a)) return findTests(join(ROOT, 'test', a));
    const full = resolve(a);
    return statSync(full, { throwIfNoEntry: false })?.isDirectory() ? findTests(full) : [full];
  });
}

interface FileResult {
  passed: number;
  failed: number;
  skipped: number;
}

const ANSI = /\u001b\[[0-9;]*m/g;

function parseSummary(output: string): FileResult | undefined {
  const text = output.replace(ANSI, '');
  const totals = [...text.matchAll(/Total:\s+(\d+)/g)];
  const passes = [...text.matchAll(/Passed:\s+(\d+)/g)];
  const skips = [...text.matchAll(/Skipped:\s+(\d+)/g)];
  if (totals.length === 0 || passes.length === 0) return undefined;
  const total = Number(totals.at(-1)![1]);
  const passed = Number(passes.at(-1)![1]);
  const skipped = skips.length ? Number(skips.at(-1)![1]) : 0;
  return { passed, failed: Math.max(0, total - passed), skipped };
}

function groupOf(file: string): string {
  const rel = relative(join(ROOT, 'test'), file);
  return rel.split(/[\\/]/)[0] ?? 'unit';
}

function runFile(file: string): Promise<FileResult> {
  return new Promise((done) => {
    const rel = relative(ROOT, file);
    process.stdout.write(`\n# ${rel}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      process.stderr.write(d);
    });
    const limit = FILE_TIMEOUT_MS[groupOf(file)] ?? 180_000;
    const timer = setTimeout(() => {
      process.stdout.write(`\n# ${rel}: timed out after ${limit / 1000}s, killing\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      const summary = parseSummary(output);
      if (!summary) {
        process.stdout.write(`# ${rel}: exited ${code} without a test summary: counted as 1 failure\n`);
        done({ passed: 0, failed: 1, skipped: 0 });
        return;
      }
      if (code !== 0 && summary.failed === 0) summary.failed = 1;
      done(summary);
    });
  });
}

const files = selectFiles(process.argv.slice(2));
const totals: FileResult = { passed: 0, failed: 0, skipped: 0 };
const failedFiles: string[] = [];
for (const file of files) {
  const r = await runFile(file);
  totals.passed += r.passed;
  totals.failed += r.failed;
  totals.skipped += r.skipped;
  if (r.failed > 0) failedFiles.push(relative(ROOT, file));
}
if (failedFiles.length) process.stdout.write(`\nFailed files:\n${failedFiles.map((f) => `  ${f}\n`).join('')}`);
process.stdout.write(`\n${files.length} test files\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exitCode = totals.failed > 0 || files.length === 0 ? 1 : 0;
