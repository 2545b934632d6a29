/**
 * `spec` of an Istio VirtualService as the user wrote it (validated, frozen). Field names and
 * shapes are Istio's (networking.istio.io v1/v1beta1/v1alpha3); durations stay strings here.
 */

/** Istio's StringMatch: at most one of exact, prefix, regex; `{}` means "present". */
export interface StringMatchSpec {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface PortSelectorSpec {
  number?: number;
}

export interface DestinationSpec {
  host: string;
  subset?: string;
  port?: PortSelectorSpec;
}

export interface HeaderOperationSetSpec {
  set?: Readonly<Record<string, string>>;
  add?: Readonly<Record<string, string>>;
  remove?: readonly string[];
}

export interface HeadersSpec {
  request?: HeaderOperationSetSpec;
  response?: HeaderOperationSetSpec;
}

export interface HttpMatchRequestSpec {
  name?: string;
  uri?: StringMatchSpec;
  scheme?: StringMatchSpec;
  method?: StringMatchSpec;
  authority?: StringMatchSpec;
  headers?: Readonly<Record<string, StringMatchSpec>>;
  withoutHeaders?: Readonly<Record<string, StringMatchSpec>>;
  queryParams?: Readonly<Record<string, StringMatchSpec>>;
  ignoreUriCase?: boolean;
  port?: number;
  sourceLabels?: Readonly<Record<string, string>>;
  /** Not acted on. */
  gateways?: readonly string[];
  /** Not acted on. */
  sourceNamespace?: string;
  /** Not acted on. */
  statPrefix?: string;
}

export interface HttpRouteDestinationSpec {
  destination: DestinationSpec;
  weight?: number;
  headers?: HeadersSpec;
}

export interface HttpRedirectSpec {
  uri?: string;
  authority?: string;
  port?: number;
  scheme?: string;
  redirectCode?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  /** The matched prefix of the path replaced (Envoy's RedirectAction prefix_rewrite). */
  prefixRewrite?: string;
}

export interface HttpDirectResponseSpec {
  status: number;
  body?: { string?: string; bytes?: string };
}

export interface HttpRewriteSpec {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: { match?: string; rewrite?: string };
}

export interface HttpRetrySpec {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  /** Not acted on. */
  retryIgnorePreviousHosts?: boolean;
  /** Not acted on. */
  backoff?: string;
}

export interface PercentSpec {
  value?: number;
}

export interface HttpFaultInjectionSpec {
  delay?: {
    fixedDelay?: string;
    /** Not acted on. */
    exponentialDelay?: string;
    percentage?: PercentSpec;
    /** Deprecated integer percentage. */
    percent?: number;
  };
  abort?: {
    httpStatus?: number;
    grpcStatus?: string;
    /** Not acted on. */
    http2Error?: string;
    percentage?: PercentSpec;
  };
}

export interface HttpMirrorPolicySpec {
  destination: DestinationSpec;
  percentage?: PercentSpec;
}

export interface CorsPolicySpec {
  allowOrigin?: readonly string[];
  allowOrigins?: readonly StringMatchSpec[];
  allowMethods?: readonly string[];
  allowHeaders?: readonly string[];
  exposeHeaders?: readonly string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface HttpRouteSpec {
  name?: string;
  match?: readonly HttpMatchRequestSpec[];
  route?: readonly HttpRouteDestinationSpec[];
  redirect?: HttpRedirectSpec;
  directResponse?: HttpDirectResponseSpec;
  /** Not acted on. */
  delegate?: { name?: string; namespace?: string };
  rewrite?: HttpRewriteSpec;
  timeout?: string;
  retries?: HttpRetrySpec;
  fault?: HttpFaultInjectionSpec;
  mirror?: DestinationSpec;
  /** Deprecated integer form of mirrorPercentage. */
  mirrorPercent?: number;
  /** Deprecated snake_case spelling of mirrorPercent. */
  mirror_percent?: number;
  mirrorPercentage?: PercentSpec;
  mirrors?: readonly HttpMirrorPolicySpec[];
  /** Not acted on. */
  corsPolicy?: CorsPolicySpec;
  headers?: HeadersSpec;
}

export interface L4MatchAttributesSpec {
  destinationSubnets?: readonly string[];
  port?: number;
  sourceLabels?: Readonly<Record<string, string>>;
  /** Not acted on. */
  gateways?: readonly string[];
  sourceNamespace?: string;
  /** Not acted on. */
  sourceSubnet?: string;
}

export interface RouteDestinationSpec {
  destination: DestinationSpec;
  weight?: number;
}

export interface TcpRouteSpec {
  match?: readonly L4MatchAttributesSpec[];
  route?: readonly RouteDestinationSpec[];
}

/** Opaque TLS routed by the ClientHello's server name (`sniHosts`, required). */
export interface TlsRouteSpec {
  match: ReadonlyArray<L4MatchAttributesSpec & { sniHosts: readonly string[] }>;
  route?: readonly RouteDestinationSpec[];
}

export interface VirtualServiceSpec {
  hosts?: readonly string[];
  gateways?: readonly string[];
  http?: readonly HttpRouteSpec[];
  tls?: readonly TlsRouteSpec[];
  tcp?: readonly TcpRouteSpec[];
  /** Not acted on. */
  exportTo?: readonly string[];
}
