/**
 * Runs the fixed-rate generator (fixed-rate-main.ts) as a pinned child process. `onStart` fires when
 * its clock starts, so the caller can open its CPU window at the same moment.
 */
import { join } from 'node:path';
import { ManagedProcess } from '../targets/managed-process.ts';
import type { FixedRateOptions, FixedRateResult } from './fixed-rate.ts';

export async function runFixedRateChild(
  o: FixedRateOptions,
  cpus: string | undefined,
  logFile: string,
  onStart: () => void,
): Promise<FixedRateResult> {
  const entry = join(import.meta.dirname, 'fixed-rate-main.ts');
  const proc = new ManagedProcess({
    name: 'fixed-rate generator',
    command: process.execPath,
    args: ['--import', 'tsx', entry, JSON.stringify(o)],
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
