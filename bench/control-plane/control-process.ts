/**
 * The control server as its own process for control-plane benchmarks (so its RSS is its own):
 * a fixed synthetic project, agents authenticated by `token-<container>`, the meshfile watched.
 * Prints one JSON line `{"address": ...}` once listening. Args: COUNT SERVICES MESHFILE.
 */
import { runControl } from '../../control/run-control.ts';
import { FixedWorkloads } from './fixed-workloads.ts';

const [count, services, meshfile] = process.argv.slice(2);
const source = new FixedWorkloads(Number(count), Number(services));
const tokens = new Map(source.workloads.map((w) => [w.container, `token-${w.container}`]));
const { address, close } = await runControl({
  project: 'bench',
  apiToken: 'bench-cli',
  source,
  staticAgentTokens: tokens,
  host: '127.0.0.1',
  port: 0,
  meshfile,
});
process.stdout.write(JSON.stringify({ address }) + '\n');
process.once('SIGTERM', () => void close().then(() => process.exit(0)));
