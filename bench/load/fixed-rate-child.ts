/**
 * Runs the fixed-rate generator (fixed-rate-main.ts) as a pinned child process. `onStart` fires when
 * its clock starts, so the caller can open its CPU window at the same moment.
 *
 * The generator runs from an esbuild bundle made once per scratch directory: plain `node` starts
 * it about 0.25 s sooner than `node --import tsx` (which compiles its TypeScript on every start), a
 * second per round of a full run and of the quick run's 60 s. Through tsx when bundling fails.
 */
import { join } from 'node:path';
import { ManagedProcess } from '../targets/managed-process.ts';
import type { FixedRateOptions, FixedRateResult } from './fixed-rate.ts';

const ENTRY = join(import.meta.dirname, 'fixed-rate-main.ts');
const bundles = new Map<string, Promise<string | undefined>>();

/** `node`'s arguments before the options: the bundle in `workDir`, else the entry through tsx. */
export async function generatorArgs(workDir: string): Promise<string[]> {
  let bundle = bundles.get(workDir);
  if (!bundle) bundles.set(workDir, (bundle = bundleGenerator(join(workDir, 'build/fixed-rate/fixed-rate.mjs'))));
  const file = await bundle;
  return file === undefined ? ['--import', 'tsx', ENTRY] : [file];
}

async function bundleGenerator(outfile: string): Promise<string | undefined> {
  try {
    const { build } = await import('esbuild');
    await build({ entryPoints: [ENTRY], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
    return outfile;
  } catch {
    return undefined;
  }
}

export async function runFixedRateChild(
  o: FixedRateOptions,
  cpus: string | undefined,
  logFile: string,
  onStart: () => void,
  workDir: string,
): Promise<FixedRateResult> {
  const proc = new ManagedProcess({
    name: 'fixed-rate generator',
    command: process.execPath,
    args: [...(await generatorArgs(workDir)), JSON.stringify(o)],
    cpus,
    logFile,
  });
  try {
    const bound = (o.durationS + o.graceS) * 1000 + 20_000;
    await proc.waitForLine((l) => (l === '{"event":"started"}' ? true : undefined), bound);
    onStart();
    const result = await proc.waitForLine((l) => {
      if (!l.startsWith('{"event":"result"')) return undefined;
      return JSON.parse(l) as FixedRateResult;
    }, bound);
    return result;
  } finally {
    await proc.close();
  }
}
