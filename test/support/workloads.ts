/** Builders of Workload records for pure tests (no Docker), and a workload source that lists them. */
import { EventEmitter } from 'node:events';
import type { WorkloadSource } from '../../control/control-server.ts';
import type { Workload } from '../../control/discovery/labels.ts';

export function workload(name: string, over: Partial<Workload> = {}): Workload {
  const service = over.service ?? name.replace(/-\d+$/, '');
  return {
    container: `id-${name}`,
    containerName: `proj-${name}`,
    service,
    workload: over.workload ?? service,
    namespace: 'default',
    project: 'proj',
    labels: {},
    addresses: { proj_default: `172.20.0.${10 + name.length}` },
    aliases: [service],
    inject: true,
    running: true,
    startedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

/** A control server's workload source with a fixed list; `set` replaces it, as discovery would. */
export class FixedSource extends EventEmitter implements WorkloadSource {
  constructor(public list: Workload[]) {
    super();
  }
  async start(): Promise<Workload[]> {
    return this.list;
  }
  set(list: Workload[]): void {
    this.list = list;
    this.emit('workloads', list);
  }
  close(): void {}
}
