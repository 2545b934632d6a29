/**
 * `node --import tsx bench/control-plane/main.ts [--agents 50] [--saves 20] [--memory-agents 100]`:
 * the control-plane figures alone, printed as JSON (bench/main.ts includes them in RESULTS.md).
 */
import { parseArgs } from 'node:util';
import { runControlPlaneBench } from './control-plane-bench.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '50' },
    services: { type: 'string' },
    saves: { type: 'string', default: '20' },
    'memory-agents': { type: 'string', default: '100' },
  },
});
const r = await runControlPlaneBench({
  agents: Number(values.agents),
  // Five replicas per service by default (versions v1/v2 alternate across replicas).
  services: values.services ? Number(values.services) : Math.max(1, Math.floor(Number(values.agents) / 5)),
  saves: Number(values.saves),
  memoryAgents: Number(values['memory-agents']),
});
process.stdout.write(JSON.stringify({ ...r, saveToAppliedMs: { ...r.saveToAppliedMs, samples: r.saveToAppliedMs.samples.map((x) => Math.round(x)) } }, null, 2) + '\n');
