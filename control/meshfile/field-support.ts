/**
 * What dockmesh does with each field of the Istio and Flagger schemas: every field not listed here is
 * acted on; a listed field is parsed and validated but not acted on yet, and gives the warning
 * MESH_WARN_UNSUPPORTED_FIELD naming it. Paths are relative to `spec`: `.` between fields, `[]` for
 * an array's items, `{}` for a map's values. A listed field covers everything below it (one warning).
 *
 * The schema generator bakes this table into schema/meshfile.schema.json (`x-dockmesh-unsupported`),
 * which is what the loader reads at run time.
 */

/** Unsupported fields of an Istio TrafficPolicy, relative to the policy. */
const TRAFFIC_POLICY: Record<string, string> = {
  tls: 'dockmesh always uses its own mutual TLS between agents (like ISTIO_MUTUAL)',
  tunnel: 'no HTTP CONNECT tunneling',
  proxyProtocol: 'no PROXY protocol',
  'retryBudget.budgetInterval': 'the budget counts the requests active now, as Envoy\'s retry budget does',
  'loadBalancer.localityLbSetting': 'compose projects have one locality',
  'loadBalancer.zoneAwareLbSetting': 'compose projects have one zone',
  'loadBalancer.consistentHash.ringHash': 'consistent hashing uses one ring of fixed size',
  'loadBalancer.consistentHash.maglev': 'consistent hashing uses one ring of fixed size',
  'loadBalancer.consistentHash.minimumRingSize': 'consistent hashing uses one ring of fixed size',
  'connectionPool.tcp.tcpKeepalive': 'TCP keepalive uses the operating system defaults',
  'connectionPool.http.h2UpgradePolicy': 'agents speak HTTP/1.1 to each other',
  'connectionPool.http.useClientProtocol': 'agents speak HTTP/1.1 to each other',
  'connectionPool.http.maxConcurrentStreams': 'agents speak HTTP/1.1 to each other',
  'connectionPool.http.http2KeepAlive': 'agents speak HTTP/1.1 to each other',
  'outlierDetection.consecutiveErrors': 'deprecated by Istio; use consecutive5xxErrors',
};

function trafficPolicyAt(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(TRAFFIC_POLICY)) {
    out[`${prefix}.${k}`] = v;
    out[`${prefix}.portLevelSettings[].${k}`] = v;
  }
  return out;
}

const HTTP_MATCH_UNSUPPORTED = {
  gateways: 'dockmesh has no gateways',
  statPrefix: 'route statistics carry no prefix',
};

/** Fields parsed but not acted on, per kind. */
export const UNSUPPORTED_FIELDS: Record<string, Record<string, string>> = {
  VirtualService: {
    'http[].corsPolicy': 'no CORS handling',
    ...Object.fromEntries(Object.entries(HTTP_MATCH_UNSUPPORTED).map(([k, v]) => [`http[].match[].${k}`, v])),
    'http[].fault.delay.exponentialDelay': 'hidden in Istio\'s docs and not acted on',
    'http[].fault.abort.http2Error': 'agents speak HTTP/1.1 to each other',
    'tls[].match[].gateways': 'dockmesh has no gateways',
    'tcp[].match[].gateways': 'dockmesh has no gateways',
    'tcp[].match[].sourceSubnet': 'not acted on yet',
  },
  DestinationRule: {
    ...trafficPolicyAt('trafficPolicy'),
    ...trafficPolicyAt('subsets[].trafficPolicy'),
  },
  PeerAuthentication: {},
  AuthorizationPolicy: {
    provider: 'no external authorization (CUSTOM action)',
    targetRef: 'no Gateway API targets; use selector',
    targetRefs: 'no Gateway API targets; use selector',
  },
  RequestAuthentication: {
    targetRef: 'no Gateway API targets; use selector',
    targetRefs: 'no Gateway API targets; use selector',
  },
  Canary: {
    provider: 'dockmesh is the mesh provider',
    metricsServer: 'dockmesh reads its own agents\' metrics',
    autoscalerRef: 'compose has no autoscalers',
    ingressRef: 'no ingress controllers',
    routeRef: 'no APISIX routes',
    upstreamRef: 'no Gloo upstreams',
    revertOnDeletion: 'not acted on yet',
    'service.portName': 'not acted on yet',
    'service.appProtocol': 'not acted on yet',
    'service.trafficDistribution': 'not acted on yet',
    'service.targetPort': 'the canary uses the service\'s own ports',
    'service.portDiscovery': 'the agents discover ports themselves',
    'service.headless': 'no Kubernetes services',
    'service.backendTimeout': 'not acted on yet',
    'service.meshName': 'not acted on yet',
    'service.backends': 'not acted on yet',
    'service.delegation': 'no delegate VirtualServices',
    'service.mirror': 'use analysis.mirror',
    'service.gateways': 'dockmesh has no gateways',
    'service.gatewayRefs': 'dockmesh has no gateways',
    'service.hosts': 'the canary routes the target service\'s own hosts',
    'service.corsPolicy': 'no CORS handling',
    'service.trafficPolicy.tls': 'dockmesh always uses its own mutual TLS between agents (like ISTIO_MUTUAL)',
    'service.trafficPolicy.loadBalancer.localityLbSetting': 'compose projects have one locality',
    'service.trafficPolicy.loadBalancer.consistentHash.minimumRingSize': 'consistent hashing uses one ring of fixed size',
    'service.trafficPolicy.connectionPool.http.h2UpgradePolicy': 'agents speak HTTP/1.1 to each other',
    'service.trafficPolicy.outlierDetection.consecutiveErrors': 'deprecated by Istio; use consecutive5xxErrors',
    'service.apex': 'no Kubernetes services',
    'service.primary': 'no Kubernetes services',
    'service.canary': 'no Kubernetes services',
    'service.unmanagedMetadata': 'no Kubernetes services',
  },
  Telemetry: {
    targetRef: 'dockmesh has no gateways or waypoints; use selector',
    targetRefs: 'dockmesh has no gateways or waypoints; use selector',
    'tracing[].providers': "the agents have one tracing provider, the Mesh document's tracing.endpoint",
    'tracing[].useRequestIdForTraceSampling': 'a new trace is sampled at random',
    'tracing[].disableContextPropagation': 'the agents always propagate the trace context',
  },
  Mesh: {},
};

/**
 * Duration fields that the CRDs do not mark with a CEL duration rule (the generator finds the others
 * from the rule `duration(self) >= duration('1ms')`). DestinationRule's `trafficPolicy.` paths also
 * apply under `portLevelSettings[]` and `subsets[].trafficPolicy`.
 */
export const EXTRA_DURATION_FIELDS: Record<string, string[]> = {
  DestinationRule: [
    'trafficPolicy.connectionPool.tcp.idleTimeout',
    'trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl',
    'trafficPolicy.retryBudget.budgetInterval',
  ],
  Canary: [
    'analysis.interval',
    'analysis.metrics[].interval',
    'analysis.webhooks[].timeout',
    'service.timeout',
    'service.backendTimeout',
    'service.retries.perTryTimeout',
    'service.corsPolicy.maxAge',
    'service.trafficPolicy.connectionPool.http.idleTimeout',
    'service.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl',
    'service.trafficPolicy.loadBalancer.warmupDurationSecs',
    'service.trafficPolicy.outlierDetection.baseEjectionTime',
    'service.trafficPolicy.outlierDetection.interval',
  ],
  Telemetry: ['metrics[].reportingInterval'],
  RequestAuthentication: ['jwtRules[].timeout'],
};
