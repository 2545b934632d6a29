/**
 * Runs the fixed-rate generator (fixed-rate-main.ts) as a pinned child process. `onStart` fires when
 * its clock starts, so the caller can open its CPU window at the same moment.
 *
 * The generator runs from a bundle made once per scratch directory by the project's bundler
 * (cli/images/bundler.ts, as the agent's): plain `node` starts it about 0.25 s sooner than
 * `node --import tsx` (which compiles its TypeScript on every start), a second per round of a full
 * run and of the quick run's 60 s. Through tsx when bundling fails.
 */
import { join, resolve } from 'node:path';
import { bundle } from '../../cli/images/bundler.ts';
import { ManagedProcess } from '../targets/managed-process.ts';
import type { FixedRateOptions, FixedRateResult } from './fixed-rate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = 'bench/load/fixed-rate-main.ts';
const NAME = 'fixed-rate';
const bundles = new Map<string, Promise<string | undefined>>();

/** `node`'s arguments before the options: the bundle in `workDir`, else the entry through tsx. */
export async function generatorArgs(workDir: string): Promise<string[]> {
  let made = bundles.get(workDir);
  if (!made) bundles.set(workDir, (made = bundleGenerator(join(workDir, 'build'))));
  const file = await made;
  return file === undefined ? ['--import', 'tsx', join(ROOT, ENTRY)] : [file];
}

async function bundleGenerator(outDir: string): Promise<string | undefined> {
  try {
    const [out] = await bundle({ root: ROOT, entries: [{ name: NAME, entry: ENTRY }], outDir });
    return out?.path;
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
