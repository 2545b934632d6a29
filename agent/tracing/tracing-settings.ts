import { DEFAULT_TRACE_PROTOCOL, type TraceProtocol, type TracingSnapshot } from '../../wire/types.ts';

/** Tracing settings in force: where spans go, how they are encoded, and the share of new traces sampled. */
export interface TracingSettings {
  /** OTLP/HTTP traces URL, e.g. `http://jaeger:4318/v1/traces`. */
  endpoint: string;
  /** 0-100. */
  samplingPercent: number;
  /** The export's encoding. */
  protocol: TraceProtocol;
}

/**
 * The settings in force (pure). Container mode: the snapshot's (the meshfile's `Mesh` document)
 * win over the command line's. Process mode: `--tracing-endpoint` wins, so benchmarks and tests turn
 * tracing on without a control server. Undefined: tracing off.
 */
export function effectiveTracing(container: boolean, flag: TracingSettings | undefined, snapshot: TracingSnapshot | undefined): TracingSettings | undefined {
  const fromSnapshot = snapshot ? { endpoint: snapshot.endpoint, samplingPercent: snapshot.samplingPercent, protocol: snapshot.protocol ?? DEFAULT_TRACE_PROTOCOL } : undefined;
  return container ? (fromSnapshot ?? flag) : (flag ?? fromSnapshot);
}

/** Whether two settings are the same (undefined: off). */
export function sameTracing(a: TracingSettings | undefined, b: TracingSettings | undefined): boolean {
  return a?.endpoint === b?.endpoint && a?.samplingPercent === b?.samplingPercent && a?.protocol === b?.protocol;
}
