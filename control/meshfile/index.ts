/** The meshfile room's public API: load (validate) a meshfile, and the types it produces. */
export { loadMeshfile, MAX_ALIAS_COUNT, MAX_MESHFILE_BYTES, type MeshfileResult } from './load-meshfile.ts';
export { formatDiagnostic, MESHFILE_CODES, scopeOf, severityOf, type Diagnostic, type MeshfileCode, type Severity } from './diagnostics.ts';
export type { DisabledObject } from './doc-reporter.ts';
export { hostLookup, parseHost, serviceKey, type HostLookup, type MeshfileContext, type ServiceRef } from './host-resolver.ts';
export { EMPTY_MESH_SPEC, type MeshObject, type MeshSettingsSpec, type MeshSpec, type RateLimitSpec } from './mesh-spec.ts';
export { KINDS, type MeshfileKind } from './kinds.ts';
export { durationMs, parseDuration } from './duration.ts';
export type * from './virtual-service-spec.ts';
export type * from './destination-rule-spec.ts';
export type * from './security-spec.ts';
export type * from './canary-spec.ts';
