/**
 * The canonical host (pure): lower case, without port, without a trailing dot; what routing and
 * AuthorizationPolicy `hosts` compare (case-insensitive as Istio has compared hosts since
 * CVE-2021-39155). One implementation for the whole agent: this re-exports the router's.
 */
export { hostPort, normalizeHost } from '../normalize-host.ts';
