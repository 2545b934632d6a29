/**
 * Pure: a temporary fault layered over a service's routes. Every HTTP route of the service gets
 * the fault (replacing its own); a service without routes gets one catch-all route with it. As in
 * Istio, timeouts and retries do not apply to a route with a fault (the agent enforces that).
 */
import type { FaultSnapshot, HttpRouteSnapshot, ServiceSnapshot } from '../../wire/types.ts';

export function withFault(service: Pick<ServiceSnapshot, 'name' | 'namespace' | 'http'>, fault: FaultSnapshot): HttpRouteSnapshot[] {
  if (service.http?.length) return service.http.map((r) => ({ ...r, fault }));
  return [
    {
      name: 'mesh-fault',
      match: [],
      route: [{ destination: { service: service.name, namespace: service.namespace }, weight: 100 }],
      fault,
    },
  ];
}
