/** Istio's standard metric labels, without response_code and response_flags (added per request). */
export interface IstioLabels {
  reporter: 'source' | 'destination';
  source_workload: string;
  source_workload_namespace: string;
  source_principal: string;
  source_app: string;
  source_version: string;
  destination_workload: string;
  destination_workload_namespace: string;
  destination_principal: string;
  destination_app: string;
  destination_version: string;
  destination_service: string;
  destination_service_name: string;
  destination_service_namespace: string;
  request_protocol: 'http' | 'tcp';
  connection_security_policy: string;
}

/**
 * Label values computed once (at snapshot time, or per peer inbound). The metrics find a label
 * set's series by the identity of this object (and render its values when they first see it), so it
 * is made once, not copied per request, and its values do not change once it is in use.
 */
export interface LabelBase {
  labels: IstioLabels;
}

/** One side of a call, as the labels see it. */
export interface PeerIdentity {
  workload: string;
  namespace: string;
  app: string;
  version: string;
}

/** The destination service of a call. */
export interface ServiceIdentity {
  name: string;
  namespace: string;
}

/** Placeholder Istio uses for what is not known. */
export const UNKNOWN = 'unknown';

/** An identity with every field unknown. */
export const UNKNOWN_PEER: PeerIdentity = { workload: UNKNOWN, namespace: UNKNOWN, app: UNKNOWN, version: UNKNOWN };

/**
 * Builds a label set for one (reporter, source, destination, service, protocol) combination (pure).
 * Principals are `unknown` until mTLS exists: Istio reports them only from peer certificates.
 */
export function istioLabels(
  reporter: 'source' | 'destination',
  source: PeerIdentity,
  destination: PeerIdentity,
  service: ServiceIdentity | undefined,
  protocol: 'http' | 'tcp',
): LabelBase {
  const labels: IstioLabels = {
    reporter,
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_principal: UNKNOWN,
    source_app: source.app,
    source_version: source.version,
    destination_workload: destination.workload,
    destination_workload_namespace: destination.namespace,
    destination_principal: UNKNOWN,
    destination_app: destination.app,
    destination_version: destination.version,
    destination_service: service ? `${service.name}.${service.namespace}.svc.cluster.local` : UNKNOWN,
    destination_service_name: service ? service.name : UNKNOWN,
    destination_service_namespace: service ? service.namespace : UNKNOWN,
    request_protocol: protocol,
    connection_security_policy: reporter === 'destination' ? 'none' : UNKNOWN,
  };
  return { labels };
}
