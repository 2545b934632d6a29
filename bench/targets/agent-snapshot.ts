/**
 * The AgentSnapshot files the bench gives process-mode agents. Pure.
 *
 * One service `up` (host `up`) with one endpoint, the upstream. For one hop the endpoint is not
 * meshed: the client agent dials the upstream itself. For a pair it is meshed and dialled at the
 * server agent's inbound listener, which forwards to the upstream (its app).
 */
import { createHash } from 'node:crypto';
import type { AgentSnapshot, JwtRuleSnapshot, ServiceSnapshot, WorkloadSnapshot } from '../../wire/types.ts';

export const UPSTREAM_HOST = 'up';

export interface ClientSnapshotOptions {
  upstreamPort: number;
  /** The server agent's inbound listener: the endpoint is then meshed and dialled there. */
  serverAgent?: { address: string; port: number };
}

function workload(name: string): WorkloadSnapshot {
  return { service: name, namespace: 'default', workload: name, container: name, containerName: name, labels: {} };
}

/** Snapshot of the client-side agent: it may call `up`. */
export function clientSnapshot(o: ClientSnapshotOptions): AgentSnapshot {
  const service: ServiceSnapshot = {
    name: UPSTREAM_HOST,
    namespace: 'default',
    hosts: [UPSTREAM_HOST],
    ports: [o.upstreamPort],
    endpoints: [
      {
        container: UPSTREAM_HOST,
        workload: UPSTREAM_HOST,
        address: '127.0.0.1',
        port: o.upstreamPort,
        ...(o.serverAgent ? { dial: { address: o.serverAgent.address, port: o.serverAgent.port } } : {}),
        meshed: o.serverAgent !== undefined,
        labels: {},
      },
    ],
  };
  return withHash({ self: workload('bench-client'), services: [service], mesh: { excludedPorts: [] } });
}

/** Snapshot of the server-side agent, in front of the upstream: it calls nothing. */
/** Snapshot of the server-side agent; `jwt`: the RequestAuthentication rules it verifies tokens with. */
export function serverSnapshot(jwt?: JwtRuleSnapshot[]): AgentSnapshot {
  const body: Omit<AgentSnapshot, 'version' | 'hash'> = { self: workload(UPSTREAM_HOST), services: [], mesh: { excludedPorts: [] } };
  if (jwt) body.inbound = { mtls: { mode: 'PERMISSIVE' }, authz: { policies: [] }, jwt };
  return withHash(body);
}

/** Version 1 and a sha256 over everything but the version. */
function withHash(body: Omit<AgentSnapshot, 'version' | 'hash'>): AgentSnapshot {
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return { version: 1, hash, ...body };
}
