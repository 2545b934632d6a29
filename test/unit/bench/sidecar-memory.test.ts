import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerStatsUsage, sidecarProcesses } from '../../../bench/mesh-up/sidecar-memory.ts';

test('dockerStatsUsage: the cgroup usage less the inactive file cache, as the docker CLI prints it', () => {
  const cases: Array<[Parameters<typeof dockerStatsUsage>[0], number]> = [
    [{ usage: 20_434_944, stats: { total_inactive_file: 0, total_rss: 18_239_488 } }, 20_434_944], // cgroup v1 (this machine)
    [{ usage: 30_000_000, stats: { total_inactive_file: 4_000_000 } }, 26_000_000],
    [{ usage: 30_000_000, stats: { inactive_file: 5_000_000, anon: 20_000_000 } }, 25_000_000], // cgroup v2
    [{ usage: 3_000_000, stats: { inactive_file: 5_000_000 } }, 3_000_000], // never below zero
    [{ usage: 7_000_000 }, 7_000_000],
    [{}, 0],
  ];
  for (const [stats, want] of cases) assert.is(dockerStatsUsage(stats), want, JSON.stringify(stats));
});

test('sidecarProcesses: the proxy by its UID 1337, the capture manager by root; others and bad rows left out', () => {
  assert.equal(sidecarProcesses([['4242', '0'], ['4300', '1337'], ['4400', '65534'], ['x', '0']]), [
    { pid: 4242, role: 'capture-manager' },
    { pid: 4300, role: 'proxy' },
  ]);
  assert.equal(sidecarProcesses([]), []);
});

test.run();
