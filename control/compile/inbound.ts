/**
 * Pure: the meshfile's PeerAuthentications and AuthorizationPolicies + one workload → that agent's
 * `InboundSnapshot` (effective mTLS mode per port, the authorization policies selecting it and the
 * JWT rules of its RequestAuthentications), with
 * warnings for what was ignored. See mtls-mode.ts and authz-selection.ts for the rules.
 */
import type { InboundSnapshot, MtlsModeSnapshot } from '../../wire/types.ts';
import type { MeshObject } from '../meshfile/mesh-spec.ts';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec } from '../meshfile/security-spec.ts';
import { selectJwtRules } from './request-authn.ts';
import { selectAuthz } from './authz-selection.ts';
import { resolveMtls } from './mtls-mode.ts';
import type { PolicyTarget } from './workload-selector.ts';

export interface InboundInput {
  /** The workload the agent serves: its namespace and container labels. */
  workload: PolicyTarget;
  peerAuthentications: readonly MeshObject<PeerAuthenticationSpec>[];
  authorizationPolicies: readonly MeshObject<AuthorizationPolicySpec>[];
  requestAuthentications?: readonly MeshObject<RequestAuthenticationSpec>[];
  /** The Mesh document's defaultMtlsMode (default PERMISSIVE). */
  defaultMtlsMode?: MtlsModeSnapshot;
  /** Default `istio-system`. */
  rootNamespace?: string;
}

export interface InboundCompilation {
  inbound: InboundSnapshot;
  warnings: string[];
}

export function compileInbound(input: InboundInput): InboundCompilation {
  const mtls = resolveMtls(input.workload, input.peerAuthentications, {
    defaultMode: input.defaultMtlsMode,
    rootNamespace: input.rootNamespace,
  });
  const authz = selectAuthz(input.workload, input.authorizationPolicies, { rootNamespace: input.rootNamespace });
  const jwt = selectJwtRules(input.workload, input.requestAuthentications ?? [], { rootNamespace: input.rootNamespace });
  const inbound: InboundSnapshot = {
    mtls: Object.keys(mtls.ports).length ? { mode: mtls.mode, ports: mtls.ports } : { mode: mtls.mode },
    authz: { policies: authz.policies },
  };
  if (jwt.rules.length) inbound.jwt = jwt.rules;
  return { inbound, warnings: [...mtls.warnings, ...authz.warnings, ...jwt.warnings] };
}
