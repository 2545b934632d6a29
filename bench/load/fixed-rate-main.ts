/**
 * Child-process entry of the fixed-rate generator, so the harness can pin it to a core like wrk.
 * Usage: node --import tsx bench/load/fixed-rate-main.ts '<FixedRateOptions as JSON>'
 * Runs 0.3 s unrecorded first (warms the generator's JIT), then the real run.
 * Prints `{"event":"started"}` when the clock starts, then `{"event":"result",...FixedRateResult}`.
 */
import { runFixedRate, type FixedRateOptions } from './fixed-rate.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as FixedRateOptions;
// A short unrecorded run first, so the generator's own code is compiled before the clock counts.
await runFixedRate({ ...options, durationS: Math.min(0.3, options.durationS), graceS: 1 });
const result = await runFixedRate(options, () => process.stdout.write('{"event":"started"}\n'));
process.stdout.write(`${JSON.stringify({ event: 'result', ...result })}\n`);
