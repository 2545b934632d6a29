/**
 * The loaded meshfile: every enabled document, typed by kind, in file order. This is the `*Spec`
 * stage (what the user wrote, validated and frozen); control/compile/ turns it into snapshots.
 */
import type { TraceProtocol } from '../../wire/types.ts';
import type { CanarySpec } from './canary-spec.ts';
import type { DestinationRuleSpec } from './destination-rule-spec.ts';
import type { MeshfileKind } from './kinds.ts';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec } from './security-spec.ts';
import type { VirtualServiceSpec } from './virtual-service-spec.ts';

/** `spec` of dockmesh's own `Mesh` kind (dockmesh.dev/v1). */
export interface MeshSettingsSpec {
  /** Default PERMISSIVE. */
  defaultMtlsMode?: 'PERMISSIVE' | 'STRICT' | 'DISABLE';
  excludedPorts?: readonly number[];
  tracing?: { endpoint?: string; samplingPercent?: number; protocol?: TraceProtocol };
  rateLimits?: readonly RateLimitSpec[];
}

/** One local rate limit; either requestsPerUnit + unit, or maxTokens + fillInterval (+ tokensPerFill). */
export interface RateLimitSpec {
  service: string;
  requestsPerUnit?: number;
  unit?: 'SECOND' | 'MINUTE' | 'HOUR';
  maxTokens?: number;
  tokensPerFill?: number;
  fillInterval?: string;
}

/** `spec` of a Flagger MetricTemplate (flagger.app/v1beta1). */
export interface MetricTemplateSpec {
  provider: { type: string; address?: string; secretRef?: { name: string }; insecureSkipVerify?: boolean; region?: string };
  query: string;
}

/** `spec` of a Flagger AlertProvider (flagger.app/v1beta1). */
export interface AlertProviderSpec {
  type: 'slack' | 'msteams' | 'discord' | 'rocket' | 'gchat';
  channel?: string;
  username?: string;
  address?: string;
  proxy?: string;
  /** Not read (no Kubernetes secrets). */
  secretRef?: { name: string };
}

/** Which traffic a Telemetry entry applies to. */
export type TelemetryModeSpec = 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';

/** `spec` of an Istio Telemetry (telemetry.istio.io/v1); only the fields dockmesh reads are typed. */
export interface TelemetrySpec {
  selector?: { matchLabels?: Readonly<Record<string, string>> };
  tracing?: ReadonlyArray<{
    match?: { mode?: TelemetryModeSpec };
    randomSamplingPercentage?: number;
    disableSpanReporting?: boolean;
    /** Istio's default true: spans carry the istio.* attributes. */
    enableIstioTags?: boolean;
    customTags?: Readonly<Record<string, { literal?: { value: string }; environment?: { name: string; defaultValue?: string }; header?: { name: string; defaultValue?: string } }>>;
  }>;
  accessLogging?: ReadonlyArray<{ match?: { mode?: TelemetryModeSpec }; providers?: ReadonlyArray<{ name: string }>; disabled?: boolean; filter?: { expression: string } }>;
  metrics?: ReadonlyArray<{
    providers?: ReadonlyArray<{ name: string }>;
    overrides?: ReadonlyArray<TelemetryMetricsOverrideSpec>;
    reportingInterval?: string;
  }>;
}

/** The provider the agents' metrics are: Istio's default metrics provider. */
export const METRICS_PROVIDER = 'prometheus';
/** The provider the agents' access log is: Istio's built-in `envoy` (JSON lines on stdout here). */
export const ACCESS_LOG_PROVIDER = 'envoy';

/**
 * Whether a Telemetry entry is for the agents' own provider `name`: it names no provider (Istio
 * then uses the default provider) or names that one. An entry only for other providers (an OTel
 * collector, Stackdriver) configures those, not the agents' metrics or log.
 */
export function forProvider(providers: ReadonlyArray<{ name: string }> | undefined, name: string): boolean {
  return !providers?.length || providers.some((p) => p.name === name);
}

/** {@link forProvider} for `metrics[]`: the Prometheus provider. */
export function forPrometheus(providers: ReadonlyArray<{ name: string }> | undefined): boolean {
  return forProvider(providers, METRICS_PROVIDER);
}

/** One `metrics[].overrides[]` entry of a Telemetry. */
export interface TelemetryMetricsOverrideSpec {
  match?: { metric?: string; customMetric?: string; mode?: TelemetryModeSpec };
  disabled?: boolean;
  tagOverrides?: Readonly<Record<string, { operation?: 'UPSERT' | 'REMOVE'; value?: string }>>;
}

/** One document of the meshfile. */
export interface MeshObject<S> {
  kind: MeshfileKind;
  apiVersion: string;
  name: string;
  /** metadata.namespace, default `default`. */
  namespace: string;
  file: string;
  /** Line of the document's first line (1-based). */
  line: number;
  /** Index of the document in the file (0-based, empty documents counted). */
  index: number;
  spec: S;
}

export interface MeshSpec {
  virtualServices: readonly MeshObject<VirtualServiceSpec>[];
  destinationRules: readonly MeshObject<DestinationRuleSpec>[];
  peerAuthentications: readonly MeshObject<PeerAuthenticationSpec>[];
  authorizationPolicies: readonly MeshObject<AuthorizationPolicySpec>[];
  canaries: readonly MeshObject<CanarySpec>[];
  /** Flagger MetricTemplates, the queries Canary metrics refer to (`templateRef`). */
  metricTemplates?: readonly MeshObject<MetricTemplateSpec>[];
  /** Flagger AlertProviders, where Canary alerts go (`analysis.alerts[].providerRef`). */
  alertProviders?: readonly MeshObject<AlertProviderSpec>[];
  /** Istio RequestAuthentications: the JWTs workloads accept. */
  requestAuthentications?: readonly MeshObject<RequestAuthenticationSpec>[];
  /** Istio Telemetry documents: tracing and access logging per workload. */
  telemetries?: readonly MeshObject<TelemetrySpec>[];
  /** The Mesh document, if any (at most one). */
  mesh?: MeshObject<MeshSettingsSpec>;
}

/** The meshfile with no documents: every service meshed with the defaults. */
export const EMPTY_MESH_SPEC: MeshSpec = Object.freeze({
  virtualServices: Object.freeze([]),
  destinationRules: Object.freeze([]),
  peerAuthentications: Object.freeze([]),
  authorizationPolicies: Object.freeze([]),
  canaries: Object.freeze([]),
});
