/**
 * SPIFFE IDs of workloads (pure): `spiffe://cluster.local/ns/<namespace>/sa/<service>`, the form
 * Istio gives Kubernetes service accounts. The trust domain is fixed to `cluster.local`, so that
 * principals in AuthorizationPolicy read exactly as in Istio (`cluster.local/ns/default/sa/web`).
 */

export const TRUST_DOMAIN = 'cluster.local';

/** A path segment SPIFFE allows: letters, digits, `.`, `-`, `_`; not `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

function validSegment(s: string): boolean {
  return SEGMENT.test(s) && s !== '.' && s !== '..';
}

/** The SPIFFE ID of a service in a namespace; throws on a name SPIFFE does not allow. */
export function spiffeIdFor(namespace: string, service: string): string {
  if (!validSegment(namespace)) throw new Error(`namespace ${JSON.stringify(namespace)} is not a valid SPIFFE path segment`);
  if (!validSegment(service)) throw new Error(`service ${JSON.stringify(service)} is not a valid SPIFFE path segment`);
  return `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${service}`;
}

/** The namespace and service of a workload SPIFFE ID in our trust domain, or undefined. */
export function parseSpiffeId(id: string): { namespace: string; service: string } | undefined {
  const prefix = `spiffe://${TRUST_DOMAIN}/ns/`;
  if (!id.startsWith(prefix)) return undefined;
  const parts = id.slice(prefix.length).split('/');
  if (parts.length !== 3 || parts[1] !== 'sa') return undefined;
  const [namespace, , service] = parts as [string, string, string];
  return validSegment(namespace) && validSegment(service) ? { namespace, service } : undefined;
}
