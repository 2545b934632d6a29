/** The kinds a meshfile accepts, with their apiVersions and the CRD each comes from. */

export type MeshfileKind =
  | 'VirtualService'
  | 'DestinationRule'
  | 'PeerAuthentication'
  | 'AuthorizationPolicy'
  | 'RequestAuthentication'
  | 'Canary'
  | 'MetricTemplate'
  | 'AlertProvider'
  | 'Telemetry'
  | 'Mesh';

export interface KindInfo {
  kind: MeshfileKind;
  apiVersions: string[];
  /** File name in ../shared/istio-crds; absent: the schema is dockmesh's own (Mesh, MetricTemplate, AlertProvider, Telemetry, RequestAuthentication). */
  crdFile?: string;
}

export const KINDS: readonly KindInfo[] = [
  {
    kind: 'VirtualService',
    apiVersions: ['networking.istio.io/v1', 'networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1'],
    crdFile: 'virtualservices.networking.istio.io.yaml',
  },
  {
    kind: 'DestinationRule',
    apiVersions: ['networking.istio.io/v1', 'networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1'],
    crdFile: 'destinationrules.networking.istio.io.yaml',
  },
  {
    kind: 'PeerAuthentication',
    apiVersions: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
    crdFile: 'peerauthentications.security.istio.io.yaml',
  },
  {
    kind: 'AuthorizationPolicy',
    apiVersions: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
    crdFile: 'authorizationpolicies.security.istio.io.yaml',
  },
  // Written after istio/api's protos (request-authentication-schema.ts): no copy of its CRD is in ../shared.
  { kind: 'RequestAuthentication', apiVersions: ['security.istio.io/v1', 'security.istio.io/v1beta1'] },
  { kind: 'Canary', apiVersions: ['flagger.app/v1beta1'], crdFile: 'canaries.flagger.app.yaml' },
  // Schema written after Flagger's CRD (metric-template-schema.ts): no copy of it is in ../shared.
  { kind: 'MetricTemplate', apiVersions: ['flagger.app/v1beta1'] },
  // Likewise (alert-provider-schema.ts).
  { kind: 'AlertProvider', apiVersions: ['flagger.app/v1beta1'] },
  // Written after Istio's API reference (telemetry-schema.ts): no copy of its CRD is in ../shared.
  { kind: 'Telemetry', apiVersions: ['telemetry.istio.io/v1', 'telemetry.istio.io/v1alpha1'] },
  { kind: 'Mesh', apiVersions: ['dockmesh.dev/v1'] },
];

/** The kind's info, or undefined for a kind the meshfile does not accept. */
export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}
