/**
 * Istio's policy scope (pure): a policy in the root namespace applies mesh-wide, one elsewhere to its
 * own namespace; `selector.matchLabels` narrows it to the workloads carrying every label (an empty or
 * absent selector selects the whole scope).
 */
import type { WorkloadSelectorSpec } from '../meshfile/security-spec.ts';

// Defined with the spec types, so the meshfile's checks use them too.
export { hasSelector, ROOT_NAMESPACE } from '../meshfile/security-spec.ts';

/** The workload a policy is compiled for. */
export interface PolicyTarget {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/** Every matchLabels entry is on the workload. */
export function labelsMatch(selector: WorkloadSelectorSpec | undefined, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  return true;
}
