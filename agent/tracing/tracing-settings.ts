import { DEFAULT_TRACE_PROTOCOL, type TelemetryDirection, type TraceProtocol, type TracingSnapshot } from '../../wire/types.ts';

/** Tracing settings in force: where spans go, how they are encoded, and the share of new traces sampled. */
export interface TracingSettings {
  /** OTLP/HTTP traces URL, e.g. `http://jaeger:4318/v1/traces`. */
  endpoint: string;
  /** 0-100. */
  samplingPercent: number;
  /** The export's encoding. */
  protocol: TraceProtocol;
  /** Istio Telemetry per direction (container mode): sampling and reporting of outbound requests; absent: `samplingPercent`, reported. */
  outbound?: TelemetryDirection;
  /** Likewise for inbound requests. */
  inbound?: TelemetryDirection;
}

/**
 * The settings in force (pure). Container mode: the snapshot's (the meshfile's `Mesh` document)
 * win over the command line's. Process mode: `--tracing-endpoint` wins, so benchmarks and tests turn
 * tracing on without a control server. Undefined: tracing off.
 */
export function effectiveTracing(container: boolean, flag: TracingSettings | undefined, snapshot: TracingSnapshot | undefined): TracingSettings | undefined {
  const fromSnapshot: TracingSettings | undefined = snapshot
    ? {
        endpoint: snapshot.endpoint,
        samplingPercent: snapshot.samplingPercent,
        protocol: snapshot.protocol ?? DEFAULT_TRACE_PROTOCOL,
        ...(snapshot.outbound && { outbound: snapshot.outbound }),
        ...(snapshot.inbound && { inbound: snapshot.inbound }),
      }
    : undefined;
  return container ? (fromSnapshot ?? flag) : (flag ?? fromSnapshot);
}

/** Whether two settings are the same (undefined: off). */
export function sameTracing(a: TracingSettings | undefined, b: TracingSettings | undefined): boolean {
  const same = (x: TelemetryDirection | undefined, y: TelemetryDirection | undefined) =>
    x?.samplingPercent === y?.samplingPercent && x?.report === y?.report && JSON.stringify(x?.tags) === JSON.stringify(y?.tags);
  return a?.endpoint === b?.endpoint && a?.samplingPercent === b?.samplingPercent && a?.protocol === b?.protocol && same(a?.outbound, b?.outbound) && same(a?.inbound, b?.inbound);
}
