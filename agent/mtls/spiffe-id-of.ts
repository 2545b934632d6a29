import { TRUST_DOMAIN } from '../identity/verify-peer.ts';

/** The SPIFFE ID of a service's workloads, as the CA issues it: `spiffe://cluster.local/ns/<ns>/sa/<service>`. */
export function spiffeIdOf(namespace: string, service: string): string {
  return `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${service}`;
}
