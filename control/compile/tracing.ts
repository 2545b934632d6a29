import { DEFAULT_TRACE_PROTOCOL, DEFAULT_TRACE_SAMPLING_PERCENT, type TracingSnapshot } from '../../wire/types.ts';
import type { MeshSettingsSpec } from '../meshfile/mesh-spec.ts';

/**
 * The agents' tracing settings from the `Mesh` document (pure): none without an endpoint (no
 * export, and the agents load nothing of the tracer); the sampling percentage defaults to 100, the
 * encoding to binary protobuf. `defaultEndpoint` (the bundled Jaeger of `mesh up --observability`)
 * stands in when the document names no endpoint; its sampling and protocol still apply.
 */
export function compileTracing(tracing: MeshSettingsSpec['tracing'], defaultEndpoint?: string): TracingSnapshot | undefined {
  const endpoint = tracing?.endpoint ?? defaultEndpoint;
  if (!endpoint) return undefined;
  return { endpoint, samplingPercent: tracing?.samplingPercent ?? DEFAULT_TRACE_SAMPLING_PERCENT, protocol: tracing?.protocol ?? DEFAULT_TRACE_PROTOCOL };
}
