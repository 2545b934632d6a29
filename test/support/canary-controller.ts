/**
 * The canary controller's test setup (no Docker, no agents): the `api` service's replicas in an
 * endpoint registry, reported ready with admin addresses, and controller options that tick only
 * when the test says.
 */
import type { CanaryControllerOptions } from '../../control/canary/canary-controller.ts';
import type { Workload } from '../../control/discovery/labels.ts';
import type { MeshSpec } from '../../control/meshfile/mesh-spec.ts';
import { EndpointRegistry } from '../../control/registry/endpoint-registry.ts';
import { workload } from './workloads.ts';

/** The start of a Flagger Canary of the `api` Deployment, up to `spec.targetRef` (a test writes the rest). */
export const API_CANARY_HEAD = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
`;

/**
 * The api Canary with a one-step analysis (threshold 1, 50% then promotion) on the built-in success
 * rate, up to the end of `analysis.metrics` (a test adds its webhooks or alerts).
 */
export const API_ONE_STEP_CANARY = `${API_CANARY_HEAD}  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 1
    maxWeight: 50
    stepWeight: 50
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
`;

/** A primary replica of api (workload api-v1). */
export const apiPrimary = (name = 'api-1'): Workload => workload(name, { service: 'api', workload: 'api-v1', labels: {} });

/** A canary replica of api (workload `wl`, labelled `dockmesh.canary: "true"`). */
export const apiCanary = (name = 'api-2', wl = 'api-v2'): Workload => workload(name, { service: 'api', workload: wl, labels: { 'dockmesh.canary': 'true' } });

/** A registry with `replicas` (default: one primary, one canary), each reported ready on 8080 with an admin address. */
export function canaryRegistry(replicas: Workload[] = [apiPrimary(), apiCanary()]): EndpointRegistry {
  const r = new EndpointRegistry();
  r.setWorkloads(replicas);
  for (const w of replicas) r.report(w.container, { ports: [8080], ready: true, configVersion: 1, admin: `${w.containerName}:15020` });
  return r;
}

/** Controller options over `r` and `spec`: every agent ready, no metrics, an hour's interval (the test ticks). */
export function controllerOptions(r: EndpointRegistry, spec: MeshSpec | (() => MeshSpec), more: Partial<CanaryControllerOptions> = {}): CanaryControllerOptions {
  return {
    spec: typeof spec === 'function' ? spec : () => spec,
    view: () => r.view(),
    adminOf: (id) => r.agents.get(id)?.report?.admin,
    readyOf: () => true,
    fetchMetrics: async () => '',
    intervalMs: 3_600_000,
    ...more,
  };
}
