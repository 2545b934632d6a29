/** `spec` of Istio's PeerAuthentication and AuthorizationPolicy (security.istio.io v1/v1beta1). */

export type MtlsModeSpec = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface WorkloadSelectorSpec {
  matchLabels?: Readonly<Record<string, string>>;
}

/** Istio's default `meshConfig.rootNamespace`: a policy there without selector is mesh-wide. */
export const ROOT_NAMESPACE = 'istio-system';

/** True when the selector has at least one label. */
export function hasSelector(selector: WorkloadSelectorSpec | undefined): boolean {
  return !!selector?.matchLabels && Object.keys(selector.matchLabels).length > 0;
}

export interface PeerAuthenticationSpec {
  selector?: WorkloadSelectorSpec;
  mtls?: { mode?: MtlsModeSpec };
  /** Keys are port numbers (as strings). */
  portLevelMtls?: Readonly<Record<string, { mode?: MtlsModeSpec }>>;
}

export interface SourceSpec {
  principals?: readonly string[];
  notPrincipals?: readonly string[];
  namespaces?: readonly string[];
  notNamespaces?: readonly string[];
  serviceAccounts?: readonly string[];
  notServiceAccounts?: readonly string[];
  ipBlocks?: readonly string[];
  notIpBlocks?: readonly string[];
  /** `<iss>/<sub>` of the request's verified JWT. */
  requestPrincipals?: readonly string[];
  notRequestPrincipals?: readonly string[];
  remoteIpBlocks?: readonly string[];
  /** Not acted on. */
  notRemoteIpBlocks?: readonly string[];
  /** Not acted on. */
  trustDomains?: readonly string[];
  /** Not acted on. */
  notTrustDomains?: readonly string[];
}

export interface OperationSpec {
  hosts?: readonly string[];
  notHosts?: readonly string[];
  ports?: readonly string[];
  notPorts?: readonly string[];
  methods?: readonly string[];
  notMethods?: readonly string[];
  paths?: readonly string[];
  notPaths?: readonly string[];
}

export interface ConditionSpec {
  key: string;
  values?: readonly string[];
  notValues?: readonly string[];
}

export interface RuleSpec {
  from?: ReadonlyArray<{ source?: SourceSpec }>;
  to?: ReadonlyArray<{ operation?: OperationSpec }>;
  when?: readonly ConditionSpec[];
}

export interface PolicyTargetReferenceSpec {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AuthorizationPolicySpec {
  selector?: WorkloadSelectorSpec;
  /** Default ALLOW. */
  action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  rules?: readonly RuleSpec[];
  /** Not acted on. */
  provider?: { name?: string };
  /** Not acted on. */
  targetRef?: PolicyTargetReferenceSpec;
  /** Not acted on. */
  targetRefs?: readonly PolicyTargetReferenceSpec[];
}

/** One JWTRule of a RequestAuthentication (istio/api security/v1/jwt.proto). */
export interface JwtRuleSpec {
  issuer: string;
  audiences?: readonly string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: ReadonlyArray<{ name: string; prefix?: string }>;
  fromParams?: readonly string[];
  fromCookies?: readonly string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: ReadonlyArray<{ header?: string; claim?: string }>;
  timeout?: string;
  failureMode?: 'PERMISSIVE' | 'IGNORE' | 'STRICT';
}

/** `spec` of Istio's RequestAuthentication. */
export interface RequestAuthenticationSpec {
  selector?: WorkloadSelectorSpec;
  /** Not acted on. */
  targetRef?: PolicyTargetReferenceSpec;
  /** Not acted on. */
  targetRefs?: readonly PolicyTargetReferenceSpec[];
  jwtRules?: readonly JwtRuleSpec[];
}
