/** Builders of Workload records for pure tests (no Docker). */
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
