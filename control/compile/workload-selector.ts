/**
 * Istio's policy scope (pure): a policy in the root namespace applies mesh-wide, one elsewhere to its
 * own namespace; `selector.matchLabels` narrows it to the workloads carrying every label (an empty or
 * absent selector selects the whole scope).
 */
import type { WorkloadSelectorSpec } from '../meshfile/security-spec.ts';

/** Istio's default `meshConfig.rootNamespace`. */
export const ROOT_NAMESPACE = 'istio-system';

/** The workload a policy is compiled for. */
export interface PolicyTarget {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/** True when the selector has at least one label. */
export function hasSelector(selector: WorkloadSelectorSpec | undefined): boolean {
  return !!selector?.matchLabels && Object.keys(selector.matchLabels).length > 0;
}

/** Every matchLabels entry is on the workload. */
export function labelsMatch(selector: WorkloadSelectorSpec | undefined, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  return true;
}
