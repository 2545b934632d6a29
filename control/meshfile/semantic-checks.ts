/** Dispatches the context-free semantic checks of one document by kind. */
import { checkCanary, checkMeshSettings, checkMetricTemplate } from './canary-checks.ts';
import type { CanarySpec } from './canary-spec.ts';
import type { DestinationRuleSpec } from './destination-rule-spec.ts';
import { checkDestinationRule } from './destination-rule-checks.ts';
import type { DocReporter } from './doc-reporter.ts';
import type { MeshfileKind } from './kinds.ts';
import type { MeshSettingsSpec, MetricTemplateSpec, TelemetrySpec } from './mesh-spec.ts';
import { checkTelemetry } from './telemetry-checks.ts';
import { checkAuthorizationPolicy, checkPeerAuthentication, checkRequestAuthentication } from './security-checks.ts';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec } from './security-spec.ts';
import { checkVirtualService } from './virtual-service-checks.ts';
import type { VirtualServiceSpec } from './virtual-service-spec.ts';

export function checkSemantics(kind: MeshfileKind, spec: unknown, r: DocReporter): void {
  switch (kind) {
    case 'VirtualService':
      return checkVirtualService(spec as VirtualServiceSpec, r);
    case 'DestinationRule':
      return checkDestinationRule(spec as DestinationRuleSpec, r);
    case 'PeerAuthentication':
      return checkPeerAuthentication(spec as PeerAuthenticationSpec, r);
    case 'AuthorizationPolicy':
      return checkAuthorizationPolicy(spec as AuthorizationPolicySpec, r);
    case 'RequestAuthentication':
      return checkRequestAuthentication(spec as RequestAuthenticationSpec, r);
    case 'Canary':
      return checkCanary(spec as CanarySpec, r);
    case 'MetricTemplate':
      return checkMetricTemplate(spec as MetricTemplateSpec, r);
    case 'AlertProvider':
      return;
    case 'Telemetry':
      return checkTelemetry(spec as TelemetrySpec, r);
    case 'Mesh':
      return checkMeshSettings(spec as MeshSettingsSpec, r, r.namespace);
  }
}
