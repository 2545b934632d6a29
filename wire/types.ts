/**
 * The wire contract between the control server and the agents, and the agent's admin API.
 * Types only: agent/ and control/ both import this file and nothing else of each other.
 *
 * Protocol (HTTP/1.1, JSON):
 *   agent → control  GET  /v1/agents/:container/stream   NDJSON, one `StreamMessage` per line, long-lived.
 *                    POST /v1/agents/:container/ack      body `AckRequest`
 *                    POST /v1/agents/:container/report   body `AgentReport` (ports the app listens on, readiness)
 *   Every agent request carries `authorization: Bearer <token>` (the bootstrap token the injector gave it).
 *   The stream always starts with the full current snapshot; each later message is a full snapshot too
 *   (never a delta). A slow agent's stream is closed; the agent reconnects and gets full state.
 */

/** Compiled, per-agent configuration. Everything an agent needs, nothing it does not. */
export interface AgentSnapshot {
  /** Version for this agent; bumps only when `hash` changes. */
  version: number;
  /** Content hash (hex) of everything below, excluding version. */
  hash: string;
  /** Who this agent is. */
  self: WorkloadSnapshot;
  /** Destinations this agent may call, by logical service. */
  services: ServiceSnapshot[];
  /** Mesh-wide settings the agent acts on. */
  mesh: MeshSettingsSnapshot;
  /** Optional (identity): roots to trust; absent: only what the CSR answer gave. */
  trust?: TrustSnapshot;
  /** Optional (identity): inbound mTLS modes and authorization policies; absent: PERMISSIVE, no policy. */
  inbound?: InboundSnapshot;
}

/** Identity of a workload (one compose service replica). */
export interface WorkloadSnapshot {
  /** Logical service (compose service, or the `dockmesh.service` label). */
  service: string;
  namespace: string;
  /** Compose service name (Istio's "workload"). */
  workload: string;
  /** Container id (full). */
  container: string;
  /** Container name without the leading slash. */
  containerName: string;
  labels: Record<string, string>;
}

export interface ServiceSnapshot {
  /** Logical service name, e.g. `api`. */
  name: string;
  namespace: string;
  /**
   * Every host name that refers to this service, lower case: `api`, `api.default`,
   * `api.default.svc.cluster.local`, plus compose aliases and container names.
   */
  hosts: string[];
  /** Ports the service's endpoints listen on (union), ascending. */
  ports: number[];
  endpoints: EndpointSnapshot[];
  /**
   * HTTP routes of the VirtualService for this host, in order, first match wins. Absent: the default
   * route (every request to this service, round-robin over all endpoints of the requested port).
   */
  http?: HttpRouteSnapshot[];
  /**
   * TLS routes of the VirtualService for this host (opaque TLS routed by the ClientHello's server
   * name); a connection that none matches takes the TCP routes, or the default route.
   */
  tls?: TlsRouteSnapshot[];
  /** TCP routes of the VirtualService for this host. Absent: the default route. */
  tcp?: TcpRouteSnapshot[];
  /** Subsets of the DestinationRule, each with its effective policy (subset overrides host). */
  subsets?: SubsetSnapshot[];
  /** Host-level traffic policy of the DestinationRule, with Istio's defaults filled in. */
  policy?: TrafficPolicySnapshot;
  /** Local rate limits (dockmesh), checked by the client agent. */
  rateLimit?: RateLimitSnapshot;
}

/** Istio's StringMatch; exactly one field set. `regex` is RE2 syntax, anchored (full match). */
export interface StringMatchSnapshot {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** A header or query match: a StringMatch, or presence (`{}` in Istio). */
export type PresenceOrStringMatch = StringMatchSnapshot | { present: true };

/** Istio's HTTPMatchRequest. All set fields must match (AND). */
export interface HttpMatchSnapshot {
  name?: string;
  uri?: StringMatchSnapshot;
  scheme?: StringMatchSnapshot;
  method?: StringMatchSnapshot;
  authority?: StringMatchSnapshot;
  /** Lower-case header names. */
  headers?: Record<string, PresenceOrStringMatch>;
  withoutHeaders?: Record<string, PresenceOrStringMatch>;
  queryParams?: Record<string, PresenceOrStringMatch>;
  ignoreUriCase?: boolean;
  port?: number;
  sourceLabels?: Record<string, string>;
  /** The calling workload's namespace (Istio `sourceNamespace`): decided by each agent against its own. */
  sourceNamespace?: string;
}

/** Where a route sends traffic. Service names are resolved to logical service names. */
export interface DestinationSnapshot {
  service: string;
  namespace: string;
  subset?: string;
  /** Absent: the port the request came in on (or the service's only port). */
  port?: number;
}

export interface WeightedDestinationSnapshot {
  destination: DestinationSnapshot;
  /** 0-100; the weights of one route sum to 100. */
  weight: number;
  headers?: HeaderOperationsSnapshot;
}

export interface HeaderOperationSetSnapshot {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface HeaderOperationsSnapshot {
  request?: HeaderOperationSetSnapshot;
  response?: HeaderOperationSetSnapshot;
}

export interface RetryPolicySnapshot {
  /** Retries (not counting the first try). 0: no retry. */
  attempts: number;
  /** Per try; absent: the route timeout. */
  perTryTimeoutMs?: number;
  /** `retries.backoff`: the back-off base interval (Envoy's `retry_back_off.base_interval`); absent: 25 ms. */
  backoffMs?: number;
  /** `retries.retryIgnorePreviousHosts: false`: a retry may go to an endpoint an earlier try used; absent: it avoids them (Istio's default). */
  retryIgnorePreviousHosts?: false;
  /** Istio's retryOn conditions, split on commas, e.g. ["5xx", "connect-failure", "503"]. */
  retryOn: string[];
  retryRemoteLocalities?: boolean;
}

export interface FaultSnapshot {
  delay?: { fixedDelayMs: number; percent: number };
  abort?: { httpStatus?: number; grpcStatus?: string; percent: number };
}

export interface HttpRouteSnapshot {
  name?: string;
  /** ORed; empty array: matches everything. */
  match: HttpMatchSnapshot[];
  route?: WeightedDestinationSnapshot[];
  /**
   * `derivePort`: FROM_PROTOCOL_DEFAULT, no port (the scheme's default, 80 or 443); FROM_REQUEST_PORT,
   * the port the request was made to. Neither it nor `port`: the request's Host keeps its port.
   */
  /** `prefixRewrite`: the matched prefix of the path replaced (Envoy's RedirectAction prefix_rewrite). */
  redirect?: { uri?: string; prefixRewrite?: string; authority?: string; port?: number; derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT'; scheme?: string; redirectCode: number };
  directResponse?: { status: number; body?: string };
  rewrite?: { uri?: string; authority?: string; uriRegexRewrite?: { match: string; rewrite: string } };
  /** Absent: no timeout (Istio's default for HTTP routes). */
  timeoutMs?: number;
  /** Absent: Istio's default policy (2 attempts, retryOn connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes, 503). */
  retries?: RetryPolicySnapshot;
  fault?: FaultSnapshot;
  mirrors?: Array<{ destination: DestinationSnapshot; percent: number }>;
  headers?: HeaderOperationsSnapshot;
  /**
   * Optional (added by agent/): a local rate limit of this route alone, checked by the calling agent
   * after the service's own `rateLimit` (docs/traffic.md). Absent: none.
   */
  rateLimit?: RateLimitSnapshot;
}

export interface TlsRouteSnapshot {
  /** `sniHosts` lower case; `*.example.com` and `*` are wildcards (Envoy's server_names). */
  match: Array<{ sniHosts: string[]; port?: number; destinationSubnets?: string[]; sourceLabels?: Record<string, string>; sourceNamespace?: string }>;
  route: WeightedDestinationSnapshot[];
}

export interface TcpRouteSnapshot {
  match: Array<{ port?: number; destinationSubnets?: string[]; sourceLabels?: Record<string, string>; sourceNamespace?: string }>;
  route: WeightedDestinationSnapshot[];
}

export interface SubsetSnapshot {
  name: string;
  labels: Record<string, string>;
  /** Effective policy: the subset's own fields override the host-level ones. */
  policy?: TrafficPolicySnapshot;
}

export interface TrafficPolicySnapshot {
  loadBalancer?: {
    simple?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH' | 'UNSPECIFIED';
    consistentHash?: {
      httpHeaderName?: string;
      /** `attributes`: added to a generated cookie after `Path` (a name alone when it has no value). */
      httpCookie?: { name: string; path?: string; ttlMs?: number; attributes?: Array<{ name: string; value?: string }> };
      useSourceIp?: boolean;
      httpQueryParameterName?: string;
    };
    /**
     * `warmup` (or the deprecated `warmupDurationSecs`) with Istio's defaults filled in: endpoints
     * new to the cluster ramp up over `durationMs` (ROUND_ROBIN and LEAST_REQUEST only).
     */
    warmup?: { durationMs: number; minimumPercent: number; aggression: number };
  };
  connectionPool?: {
    /** `maxConnectionDurationMs`: an HTTP/1.1 upstream connection serves no request after this age (Envoy's `max_connection_duration`). */
    tcp?: { maxConnections?: number; connectTimeoutMs?: number; idleTimeoutMs?: number; maxConnectionDurationMs?: number };
    http?: {
      http1MaxPendingRequests?: number;
      http2MaxRequests?: number;
      maxRequestsPerConnection?: number;
      maxRetries?: number;
      idleTimeoutMs?: number;
    };
  };
  /**
   * DestinationRule `retryBudget` (Envoy's retry budget, which then overrides `maxRetries`); absent:
   * the agent's default budget (20%, at least 3) and `maxRetries`.
   */
  retryBudget?: { percent: number; minRetryConcurrency: number };
  outlierDetection?: {
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    /** Local-origin failures (connect failure, reset, timeout) count on their own, not as 5xx (Envoy's split_external_local_origin_errors). */
    splitExternalLocalOriginErrors?: true;
    /** With the split: that many local-origin failures in a row eject (Envoy's default 5). */
    consecutiveLocalOriginFailures?: number;
    /**
     * DestinationRule `outlierDetectionHttpErrorCodes` (sorted, unique): the response codes that are
     * errors; every other code counts as a success (Envoy's outlier failure matcher). Absent: the 5xx.
     */
    httpErrorCodes?: number[];
    intervalMs: number;
    baseEjectionTimeMs: number;
    maxEjectionPercent: number;
    minHealthPercent: number;
  };
  /** Per-port overrides, merged at compile time. */
  portLevel?: Array<{ port: number; policy: TrafficPolicySnapshot }>;
}

/** Envoy's consecutive_local_origin_failure when Istio splits local-origin errors without a count. */
export const DEFAULT_LOCAL_ORIGIN_FAILURES = 5;

/** Token bucket: `tokensPerFill` tokens every `fillIntervalMs`, at most `maxTokens`. */
export interface RateLimitSnapshot {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

/** One reachable port of one replica. */
export interface EndpointSnapshot {
  /** Container id (full). */
  container: string;
  /** Compose service of the replica. */
  workload: string;
  /** IP address on a network the calling agent shares with it. */
  address: string;
  /** Port the app listens on. */
  port: number;
  /**
   * Where the calling agent connects to reach this endpoint. Absent: `address:port` (container mode,
   * where the peer agent's iptables capture the connection). Set in process mode, where the peer
   * agent's inbound listener has its own port.
   */
  dial?: { address: string; port: number };
  /** The replica has a ready agent: speak to it as a peer agent. */
  meshed: boolean;
  /**
   * Optional (added by agent/): false takes the endpoint out of load balancing while keeping it known
   * (its capture rule stays). Absent means ready.
   */
  ready?: boolean;
  /** Container labels, for subsets. */
  labels: Record<string, string>;
}

export interface MeshSettingsSnapshot {
  /** Ports never captured, in or out. */
  excludedPorts: number[];
  /** Optional (tracing): where the agent exports spans; absent: no spans (the `Mesh` document has no endpoint). */
  tracing?: TracingSnapshot;
  /** Optional (tap): SHA-256 (hex) of the key the control server presents on the admin `/tap`; absent: no tap. */
  tapKeyHash?: string;
  /**
   * Optional (Istio Telemetry `accessLogging`): which requests get an access log line, and the CEL
   * filter a line must pass (wire/access-log-filter.ts); absent: all.
   */
  accessLog?: { inbound: boolean; outbound: boolean; inboundFilter?: string; outboundFilter?: string };
  /**
   * Optional (Istio Telemetry `metrics`, its Prometheus provider): per direction (outbound: Istio's
   * CLIENT, inbound: SERVER), the istio_* metrics left out and their label overrides; absent: every
   * metric with Istio's labels.
   */
  metrics?: { outbound?: MetricOverridesSnapshot; inbound?: MetricOverridesSnapshot; tcpReportingIntervalMs?: number };
}

/** Istio's default Telemetry `metrics[].reportingInterval`: open TCP connections' bytes are reported this often. */
export const DEFAULT_TCP_REPORTING_INTERVAL_MS = 5000;

/** Istio's standard metrics (Telemetry's `IstioMetric` names) that the agents report. */
export type StandardMetric =
  | 'REQUEST_COUNT'
  | 'REQUEST_DURATION'
  | 'REQUEST_SIZE'
  | 'RESPONSE_SIZE'
  | 'TCP_OPENED_CONNECTIONS'
  | 'TCP_CLOSED_CONNECTIONS'
  | 'TCP_SENT_BYTES'
  | 'TCP_RECEIVED_BYTES';

export const STANDARD_METRICS: readonly StandardMetric[] = [
  'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS', 'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES',
];

/** One metric's override: left out, and label overrides (name → CEL value for UPSERT, null for REMOVE). */
export interface MetricOverrideSnapshot {
  disabled?: boolean;
  tags?: Record<string, string | null>;
}

/** One direction's metric overrides; a metric not named is reported as standard. */
export type MetricOverridesSnapshot = Partial<Record<StandardMetric, MetricOverrideSnapshot>>;

/** The `Mesh` document's `spec.tracing`, with its defaults filled in. */
export interface TracingSnapshot {
  /** OTLP/HTTP traces URL (`http:` or `https:`), e.g. `http://jaeger:4318/v1/traces`. */
  endpoint: string;
  /** Share of new traces sampled, 0-100 (a caller's sampling decision is always honoured). */
  samplingPercent: number;
  /** The export's encoding; absent (a snapshot of an older control server): {@link DEFAULT_TRACE_PROTOCOL}. */
  protocol?: TraceProtocol;
  /** Optional (Istio Telemetry `tracing`): outbound requests' sampling and reporting; absent: `samplingPercent`, reported. */
  outbound?: TelemetryDirection;
  /** Optional (Istio Telemetry `tracing`): inbound requests'. */
  inbound?: TelemetryDirection;
}

/** Tracing of one direction, from Istio Telemetry documents. */
export interface TelemetryDirection {
  /** Share of new traces sampled, 0-100. */
  samplingPercent: number;
  /** false: no spans (`disableSpanReporting`); the trace context is still propagated. */
  report: boolean;
  /** Telemetry `customTags`: extra attributes on this direction's spans, by attribute name; absent: none. */
  tags?: Record<string, CustomTagSnapshot>;
  /** false (Telemetry `enableIstioTags: false`): this direction's spans carry no `istio.*` attributes. */
  istioTags?: false;
}

/**
 * A custom span attribute: a fixed value, one of the agent's environment variables (as Envoy reads
 * its own), or a header of the span's request (`header` lower case).
 */
export type CustomTagSnapshot = { literal: string } | { environment: string; defaultValue?: string } | { header: string; defaultValue?: string };

/** OTLP/HTTP encodings, named as OpenTelemetry's `OTEL_EXPORTER_OTLP_PROTOCOL` names them. */
export type TraceProtocol = 'http/protobuf' | 'http/json';

export const TRACE_PROTOCOLS: readonly TraceProtocol[] = ['http/protobuf', 'http/json'];

/** One line of the agent stream. */
export type StreamMessage =
  | { type: 'snapshot'; snapshot: AgentSnapshot }
  | { type: 'ping'; at: number };

export interface AckRequest {
  version: number;
  /** true: applied. false: rejected, the agent keeps its previous snapshot. */
  ok: boolean;
  error?: string;
}

/** What the agent tells the control server about its workload. */
export interface AgentReport {
  /** TCP ports the app listens on (from /proc/net/tcp{,6} in its namespace), ascending. */
  ports: number[];
  ready: boolean;
  /** Why not ready, when not. */
  reason?: string;
  /** Version of the snapshot in force. */
  configVersion: number;
  /** Admin address reachable by the control server / Prometheus, e.g. `172.18.0.5:15020`. */
  admin?: string;
}

/** GET :15020/config */
export interface AgentConfigView {
  version: number;
  snapshot: AgentSnapshot | null;
  lastError?: string;
  /**
   * Optional (added by agent/): parts of the snapshot in force the agent could not act on (a route to
   * an unknown subset, a TCP match on destinationSubnets); the rest applies.
   */
  problems?: string[];
}

/** GET :15020/stats */
export interface AgentStats {
  uptimeSeconds: number;
  configVersion: number;
  inbound: { requests: number; connections: number; activeConnections: number };
  outbound: { requests: number; connections: number; activeConnections: number };
  appPorts: number[];
  captureInstalled: boolean;
}

/** Control API, GET /v1/status (what `mesh status --json` prints). */
export interface StatusView {
  control: {
    project: string;
    version: string;
    uptimeSeconds: number;
    api: string;
    /** The agents' TLS listener (absent without a CA: agents use `api`). */
    agentApi?: string;
  };
  configVersion: number;
  agents: AgentStatusView[];
  /**
   * Agents' own events (connected, ready, gone) wait to be compiled into the snapshots: the control
   * server coalesces them (at most 1 s). Absent from older control servers.
   */
  pushPending?: boolean;
  /** The meshfile in force and the problems of the last attempt to load it. */
  meshfile?: MeshfileStatusView;
  /** The Flagger Canaries the control server runs, in short (`mesh canary` has them whole). */
  canaries?: Array<Pick<CanaryStatusView, 'name' | 'target' | 'phase' | 'canaryWeight' | 'failedChecks' | 'threshold' | 'message'>>;
}

/** One problem in a meshfile, with its position. */
export interface DiagnosticView {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  path?: string;
  kind?: string;
  name?: string;
}

export interface MeshfileStatusView {
  file: string | null;
  /** Version of the meshfile in force (0: none loaded, built-in defaults). */
  version: number;
  appliedAt: string | null;
  /** Errors of the last attempt; when `valid` is false the config in force is older. */
  errors: DiagnosticView[];
  warnings: DiagnosticView[];
  /** The last attempt was applied. */
  valid: boolean;
  notice?: string;
}

export interface AgentStatusView {
  service: string;
  container: string;
  containerName: string;
  agentContainer?: string;
  ready: boolean;
  reason?: string;
  configVersion: number;
  /** The snapshot version the control server last sent. */
  desiredVersion: number;
  lastNack?: string;
  ports: number[];
  connected: boolean;
  /** While not connected: how many times in a row its agent exited on its own (the control server restarts it). */
  exits?: number;
}

/** Names and ports fixed by DESIGN.md. */
export const PORTS = {
  outbound: 15001,
  inbound: 15006,
  control: 15010,
  /** The control API for agents, over TLS (istiod's 15012: xDS and CA over TLS). */
  controlTls: 15012,
  admin: 15020,
} as const;

/**
 * The control server's identity on its agents' TLS listener: the only URI SAN of its certificate,
 * checked by agents as they check peers (secure naming). Its namespace is reserved: the CA signs no
 * workload certificate in it.
 */
export const CONTROL_NAMESPACE = 'dockmesh-system';
export const CONTROL_SPIFFE_ID = `spiffe://cluster.local/ns/${CONTROL_NAMESPACE}/sa/dockmesh-control`;

/** Default of `Mesh` `spec.tracing.samplingPercent` and `--tracing-sampling` (Istio's is 1%; dockmesh is for development). */
export const DEFAULT_TRACE_SAMPLING_PERCENT = 100;

/**
 * Default of `Mesh` `spec.tracing.protocol` and `--tracing-protocol`: binary protobuf, which every
 * OTLP receiver must accept and OpenTelemetry's SDKs send by default (some receivers take no JSON).
 */
export const DEFAULT_TRACE_PROTOCOL: TraceProtocol = 'http/protobuf';

/** UID the agent's proxy runs as; its traffic is never captured. */
export const AGENT_UID = 1337;

export const LABELS = {
  inject: 'dockmesh.inject',
  service: 'dockmesh.service',
  /** The workload's namespace (Istio's), default `default`. */
  namespace: 'dockmesh.namespace',
  canary: 'dockmesh.canary',
  role: 'dockmesh.role',
  agentFor: 'dockmesh.agent-for',
  project: 'dockmesh.project',
} as const;

/**
 * Environment the injector gives an agent container (and a process-mode agent may use).
 * The agent also accepts the same settings as command-line flags.
 */
export const AGENT_ENV = {
  controlUrl: 'DOCKMESH_CONTROL_URL',
  /** PEM roots that sign the control server's certificate (an `https:` control URL needs them). */
  controlCa: 'DOCKMESH_CONTROL_CA',
  token: 'DOCKMESH_TOKEN',
  container: 'DOCKMESH_CONTAINER',
  /** `iptables` (container mode) or `none` (process mode). */
  capture: 'DOCKMESH_CAPTURE',
  adminPort: 'DOCKMESH_ADMIN_PORT',
  /** `h1` (the agent's own HTTP/1.1 client, the default) or `undici`: which client talks HTTP/1.1 upstream. */
  upstreamClient: 'DOCKMESH_UPSTREAM_CLIENT',
} as const;

// ---- Identity and authorization (issue 5) ------------------------------------------------------

/** POST /v1/agents/:container/csr (agent token): a PKCS#10 request for the workload's certificate. */
export interface CsrRequest {
  /** PEM `CERTIFICATE REQUEST`; only its public key and signature are used. */
  csr: string;
}

/** Answer to `CsrRequest`. */
export interface CsrResponse {
  /** The leaf (PEM), exactly one URI SAN: `spiffeId`. */
  certificate: string;
  /** Leaf first, then intermediates (PEM): what the agent presents in TLS. */
  chain: string[];
  /** Roots to trust (PEM); two while the CA rotates. */
  trustBundle: string[];
  /** ISO time, the leaf's notAfter. */
  expiresAt: string;
  /** `spiffe://cluster.local/ns/<ns>/sa/<service>`. */
  spiffeId: string;
}

/** One issued leaf, as `GET /v1/certs` (CLI token) lists it; the latest per container. */
export interface IssuedCertView {
  spiffeId: string;
  /** The SPIFFE ID without `spiffe://`, as AuthorizationPolicy writes principals. */
  principal: string;
  service: string;
  namespace: string;
  container: string;
  /** Hex. */
  serial: string;
  /** Short id of the root that signed it. */
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** When the agent renews it (two thirds of its life). */
  renewAt: string;
}

/** GET /v1/certs */
export interface CertsView {
  certificates: IssuedCertView[];
  ca: {
    /** Trusted roots, oldest first. */
    roots: Array<{ id: string; createdAt: string; notAfter: string }>;
    /** Root signing new leaves now. */
    signer: string;
    rotating: boolean;
  };
}

/**
 * Optional part of `AgentSnapshot`: the roots the agent trusts and which one signs now. A bundle change
 * (CA rotation) reaches every agent through the normal push; an agent whose leaf was signed by another
 * root than `signer` renews it early.
 */
export interface TrustSnapshot {
  /** PEM roots, oldest first. */
  bundle: string[];
  /** Short id (first 16 hex digits of the SHA-256 of the DER) of the root signing new leaves. */
  signer: string;
}

/** Inbound mTLS mode in force on a port (UNSET already resolved). */
export type MtlsModeSnapshot = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Optional part of `AgentSnapshot`: what the agent enforces on inbound connections. */
export interface InboundSnapshot {
  mtls: {
    /** Mode of every app port not listed in `ports`. */
    mode: MtlsModeSnapshot;
    /** Per app port (decimal string keys), from portLevelMtls. */
    ports?: Record<string, MtlsModeSnapshot>;
  };
  authz: InboundAuthzSnapshot;
  /** The JWT rules of the RequestAuthentications that apply to this workload (all merged, as in Istio); absent: none. */
  jwt?: JwtRuleSnapshot[];
}

/** One Istio JWTRule, as the user wrote it (durations in milliseconds). */
export interface JwtRuleSnapshot {
  issuer: string;
  audiences?: string[];
  /** Inline JWKS (JSON text); else `jwksUri`, which the agent fetches. */
  jwks?: string;
  jwksUri?: string;
  /** Timeout of a JWKS fetch (default 5 s, Istio's). */
  timeoutMs?: number;
  fromHeaders?: Array<{ name: string; prefix?: string }>;
  fromParams?: string[];
  fromCookies?: string[];
  forwardOriginalToken?: boolean;
  outputPayloadToHeader?: string;
  outputClaimToHeaders?: Array<{ header: string; claim: string }>;
  /** Istio's FailureMode; default PERMISSIVE (a missing token passes, an invalid one is refused). */
  failureMode?: 'PERMISSIVE' | 'IGNORE' | 'STRICT';
  /** `namespace/name` of the RequestAuthentication. */
  source: string;
}

/** The AuthorizationPolicies that select this workload, in evaluation-independent order. */
export interface InboundAuthzSnapshot {
  policies: AuthzPolicySnapshot[];
}

/** One AuthorizationPolicy, as Istio wrote it (strings as in the spec; compiled by the agent). */
export interface AuthzPolicySnapshot {
  name: string;
  namespace: string;
  action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  /** Empty: the policy matches nothing (`spec: {}` on ALLOW = deny all). `[{}]`: matches everything. */
  rules: AuthzRuleSnapshot[];
}

/** All present parts must match (AND); `from`/`to` entries are ORed. */
export interface AuthzRuleSnapshot {
  from?: AuthzSourceSnapshot[];
  to?: AuthzOperationSnapshot[];
  when?: AuthzConditionSnapshot[];
  /**
   * Fields of the rule dockmesh cannot evaluate (e.g. `from.source.requestPrincipals`), as JSON paths.
   * As Istio does with HTTP-only fields on TCP: an ALLOW or AUDIT rule with one never matches; a DENY
   * (or CUSTOM) rule ignores them (matches on the rest), so the decision errs towards denying.
   */
  unsupported?: string[];
}

/** Istio's Source; fields ANDed, values within a field ORed. Principals without `spiffe://`. */
export interface AuthzSourceSnapshot {
  principals?: string[];
  notPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  /** `<namespace>/<service account>` of the peer's principal, any trust domain. */
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  /** The trust domain of the peer's principal (dockmesh's own is always `cluster.local`). */
  trustDomains?: string[];
  notTrustDomains?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  /** `<iss>/<sub>` of the request's verified JWT (RequestAuthentication). */
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
}

/** Istio's Operation. */
export interface AuthzOperationSnapshot {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

/** Istio's Condition. */
export interface AuthzConditionSnapshot {
  key: string;
  values?: string[];
  notValues?: string[];
}

/**
 * How an agent authenticates to the control API once it holds a certificate (its bootstrap token is
 * then used up): `authorization: DockmeshCert <leaf DER, base64url>.<unix ms>.<signature, base64url>`,
 * the signature by the leaf's key (ECDSA, SHA-256, DER) over `dockmesh-agent-auth|<container>|<unix ms>`.
 */
export const AGENT_CERT_AUTH = { scheme: 'DockmeshCert', context: 'dockmesh-agent-auth', maxSkewMs: 300_000 } as const;

/** One Flagger Canary as the control server runs it (`mesh canary`, GET /v1/canaries). */
export interface CanaryStatusView {
  name: string;
  namespace: string;
  /** The target service. */
  target: string;
  phase: 'Initialized' | 'Waiting' | 'Progressing' | 'WaitingPromotion' | 'Promoting' | 'Succeeded' | 'Failed';
  canaryWeight: number;
  primaryWeight: number;
  maxWeight: number;
  abTesting: boolean;
  /** Requests to the primary are mirrored to the canary. */
  mirrored: boolean;
  failedChecks: number;
  threshold: number;
  iterations: number;
  /** ISO 8601. */
  lastTransitionTime: string;
  message: string;
  primary: { subset: string; replicas: number };
  canary: { subset: string; replicas: number; containers: string[] };
  /** The last analysis tick's metric checks (value absent: no values found). */
  /** `error`: why a custom metric (MetricTemplate) has no value: its query failed to render or run. */
  checks: Array<{ metric: string; value?: number; min?: number; max?: number; ok: boolean; error?: string }>;
  /** Session affinity's cookies (`name=value`), as Flagger's status keeps them; absent without it. */
  sessionAffinity?: { canaryCookie?: string; previousCookie?: string; primaryCookie?: string };
}

/** One access log line, as an agent writes it on stdout and streams it to `mesh tap` (docs/observability.md). */
export interface AccessLogEntry {
  time: string;
  trace_id: string | null;
  request_id: string | null;
  /** Null for an opaque TCP connection's line. */
  method: string | null;
  path: string | null;
  status: number;
  duration_ms: number;
  source_service: string;
  destination_service: string;
  upstream: string | null;
  attempts: number;
  response_flags: string;
  direction: 'inbound' | 'outbound';
  /** An opaque TCP connection's line (one per connection, when it closes): `tcp`, and its bytes. */
  protocol?: 'tcp';
  /** Bytes the agent received from the downstream side (Envoy's `bytes_received`). */
  bytes_received?: number;
  /** Bytes the agent sent to the downstream side (Envoy's `bytes_sent`). */
  bytes_sent?: number;
  /** An opaque TLS connection routed by VirtualService `tls` routes: its ClientHello's server name (Envoy's `requested_server_name`). */
  requested_server_name?: string;
  /** Inbound over mTLS: the verified peer's SPIFFE ID. */
  source_principal?: string;
  /** An AUDIT AuthorizationPolicy matched the request. */
  audit?: true;
}
