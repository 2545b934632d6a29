/**
 * `spec` of a Flagger Canary (flagger.app/v1beta1) as the user wrote it. dockmesh runs Flagger's
 * progressive delivery itself: `targetRef.name` is the compose service whose `dockmesh.canary: "true"`
 * containers are the canary and the others the primary.
 */
import type { HeadersSpec, HttpMatchRequestSpec, HttpRetrySpec, HttpRewriteSpec, StringMatchSpec } from './virtual-service-spec.ts';
import type { TrafficPolicySpec } from './destination-rule-spec.ts';

export interface CrossNamespaceRefSpec {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface CanaryServiceSpec {
  port: number;
  name?: string;
  timeout?: string;
  retries?: HttpRetrySpec;
  match?: readonly HttpMatchRequestSpec[];
  rewrite?: HttpRewriteSpec & { type?: string };
  headers?: HeadersSpec;
  /** Everything below is not acted on. */
  portName?: string;
  appProtocol?: string;
  trafficDistribution?: string;
  targetPort?: number | string;
  portDiscovery?: boolean;
  headless?: boolean;
  backendTimeout?: string;
  meshName?: string;
  backends?: readonly string[];
  hosts?: readonly string[];
  delegation?: boolean;
  gateways?: readonly string[];
  gatewayRefs?: readonly Readonly<Record<string, unknown>>[];
  mirror?: readonly Readonly<Record<string, unknown>>[];
  corsPolicy?: Readonly<Record<string, unknown>>;
  /** The policy of the primary and canary (Flagger's DestinationRules for both): a DestinationRule trafficPolicy without tcp settings. */
  trafficPolicy?: TrafficPolicySpec;
  apex?: Readonly<Record<string, unknown>>;
  primary?: Readonly<Record<string, unknown>>;
  canary?: Readonly<Record<string, unknown>>;
  unmanagedMetadata?: Readonly<Record<string, unknown>>;
}

export interface CanaryMetricSpec {
  name: string;
  interval?: string;
  /** Deprecated by Flagger in favour of thresholdRange. */
  threshold?: number;
  thresholdRange?: { min?: number; max?: number };
  /** Flagger's deprecated in-line PromQL, run as written against the default Prometheus. */
  query?: string;
  /** A MetricTemplate of the meshfile; its namespace defaults to the Canary's. */
  templateRef?: { name: string; namespace?: string };
  /** `{{ variables.<key> }}` of the template's query. */
  templateVariables?: Readonly<Record<string, string>>;
}

export interface CanaryMatchSpec {
  headers?: Readonly<Record<string, StringMatchSpec & { suffix?: string }>>;
  queryParams?: Readonly<Record<string, StringMatchSpec>>;
  sourceLabels?: Readonly<Record<string, string>>;
}

export interface CanaryWebhookSpec {
  name: string;
  /** Empty or absent: `rollout`. */
  type?: '' | 'confirm-rollout' | 'pre-rollout' | 'rollout' | 'confirm-promotion' | 'post-rollout' | 'event' | 'rollback' | 'confirm-traffic-increase';
  url: string;
  /** Per attempt; default 10s. */
  timeout?: string;
  /** Attempts after the first (on no answer, 429 or 5xx but 501); default 0. */
  retries?: number;
  metadata?: Readonly<Record<string, string>>;
  /** No "waiting for approval" alert when this gate holds the analysis. */
  muteAlert?: boolean;
  /** Skips certificate verification of an https URL. */
  disableTLS?: boolean;
}

/** One of Flagger's `analysis.alerts`: an AlertProvider and the least severity it gets. */
export interface CanaryAlertSpec {
  name: string;
  /** info (every alert, the default), warn (warnings and errors) or error. */
  severity?: '' | 'info' | 'warn' | 'error';
  /** An AlertProvider of the meshfile; its namespace defaults to the Canary's. */
  providerRef: { name: string; namespace?: string };
}

/** Flagger's `analysis.sessionAffinity`: the cookies and their attributes. */
export interface SessionAffinitySpec {
  /** The canary cookie: a client that got it keeps going to the canary. */
  cookieName: string;
  /** A cookie for the primary too, living one analysis interval (one step). */
  primaryCookieName?: string;
  /** The canary cookie's Max-Age in seconds; default 86400. */
  maxAge?: number;
  domain?: string;
  httpOnly?: boolean;
  partitioned?: boolean;
  path?: string;
  sameSite?: 'Strict' | 'Lax' | 'None';
  secure?: boolean;
}

export interface CanaryAnalysisSpec {
  interval: string;
  threshold: number;
  iterations?: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: readonly number[];
  stepWeightPromotion?: number;
  mirror?: boolean;
  mirrorWeight?: number;
  match?: readonly CanaryMatchSpec[];
  metrics?: readonly CanaryMetricSpec[];
  /** Called where Flagger calls them (control/canary/); `event` hooks get the analysis's events. */
  webhooks?: readonly CanaryWebhookSpec[];
  /** Messages to chat services (control/canary/canary-alerts.ts). */
  alerts?: readonly CanaryAlertSpec[];
  /** Cookie-based stickiness during a canary run (control/compile/canary-routes.ts). */
  sessionAffinity?: SessionAffinitySpec;
  /** Percent of primary replicas with a ready agent for the analysis to advance (default 100). */
  primaryReadyThreshold?: number;
  /** Percent of canary replicas with a ready agent for the canary to count as ready (default 100). */
  canaryReadyThreshold?: number;
}

export interface CanarySpec {
  targetRef: CrossNamespaceRefSpec;
  /** Optional in Flagger's CRD, required by Flagger and by dockmesh (MESH_ERR_MISSING_FIELD). */
  service: CanaryServiceSpec;
  analysis: CanaryAnalysisSpec;
  progressDeadlineSeconds?: number;
  skipAnalysis?: boolean;
  suspend?: boolean;
  /** Not acted on. */
  provider?: string;
  /** Not acted on. */
  metricsServer?: string;
  /** Not acted on. */
  revertOnDeletion?: boolean;
  /** Not acted on. */
  autoscalerRef?: Readonly<Record<string, unknown>>;
  /** Not acted on. */
  ingressRef?: CrossNamespaceRefSpec;
  /** Not acted on. */
  routeRef?: CrossNamespaceRefSpec;
  /** Not acted on. */
  upstreamRef?: CrossNamespaceRefSpec;
}
