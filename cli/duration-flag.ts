/** A duration flag's value (`500ms`, `2s`, `1m`) in milliseconds, or a usage error naming the flag. */
import { parseDuration } from '../control/meshfile/duration.ts';
import { UserError } from './errors.ts';

export function durationFlag(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UserError('MESH_ERR_USAGE', `${flag} ${text}: not a duration (e.g. 500ms, 2s, 1m)`);
  return Math.round(ms);
}
