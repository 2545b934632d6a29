/**
 * A workload source with a fixed, synthetic project for control-plane benchmarks: `count`
 * workloads spread over `services` services (`svc-0` …, labels version v1/v2 alternating).
 */
import { EventEmitter } from 'node:events';
import type { Workload } from '../../control/discovery/labels.ts';
import type { WorkloadSource } from '../../control/control-server.ts';

export class FixedWorkloads extends EventEmitter implements WorkloadSource {
  readonly workloads: Workload[];

  constructor(count: number, services: number) {
    super();
    this.workloads = Array.from({ length: count }, (_, i) => {
      const service = `svc-${i % services}`;
      return {
        container: `bench-${i}`,
        containerName: `bench-${service}-${i}`,
        service,
        workload: service,
        namespace: 'default',
        project: 'bench',
        labels: { version: Math.floor(i / services) % 2 ? 'v2' : 'v1' },
        addresses: { bench: `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}` },
        aliases: [service],
        inject: true,
        running: true,
        startedAt: 'bench',
      };
    });
  }

  async start(): Promise<Workload[]> {
    return this.workloads;
  }

  close(): void {}
}
