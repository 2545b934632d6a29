import type { AgentSnapshot, EndpointSnapshot, ServiceSnapshot } from '../../../wire/types.ts';

/** An endpoint of `workload` at `address:port`, dialled at `dial` when given (process mode). */
export function endpoint(workload: string, address: string, port: number, dial?: number, labels: Record<string, string> = {}): EndpointSnapshot {
  const e: EndpointSnapshot = { container: `${workload}-${address}-${port}`, workload, address, port, meshed: true, labels };
  if (dial !== undefined) e.dial = { address: '127.0.0.1', port: dial };
  return e;
}

/** A service `name` in `default` with the usual host names. */
export function service(name: string, ports: number[], endpoints: EndpointSnapshot[]): ServiceSnapshot {
  return { name, namespace: 'default', hosts: [name, `${name}.default`, `${name}.default.svc.cluster.local`], ports, endpoints };
}

/** A snapshot for agent `self` (a service of the same name). */
export function snapshot(version: number, self: string, services: ServiceSnapshot[], labels: Record<string, string> = {}): AgentSnapshot {
  return {
    version,
    hash: `hash-${version}-${JSON.stringify(services).length}`,
    self: { service: self, namespace: 'default', workload: self, container: `${self}-container`, containerName: `${self}-1`, labels },
    services,
    mesh: { excludedPorts: [] },
  };
}
