import type { IstioLabels, LabelBase } from './istio-labels.ts';
import { escapeLabelValue } from './metrics/exposition.ts';
import type { Counter, CounterSeries } from './metrics/counter.ts';
import type { Histogram, HistogramSeries } from './metrics/histogram.ts';

/** Istio's labels in the order the agent exposes them (response_code and response_flags follow). */
export const ISTIO_LABEL_NAMES: readonly (keyof IstioLabels)[] = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app',
  'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace',
  'request_protocol', 'connection_security_policy',
];

/** The series one finished HTTP request is recorded in. */
export interface HttpSeries {
  readonly code: number;
  readonly flags: string;
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
  readonly requestBytes: HistogramSeries;
  readonly responseBytes: HistogramSeries;
}

/** The series of one TCP label set and flags; each made when first needed. */
export interface TcpSeries {
  text: string;
  opened?: CounterSeries;
  closed?: CounterSeries;
  sent?: CounterSeries;
  received?: CounterSeries;
}

/** The istio_* HTTP metrics. */
export interface HttpMetrics {
  requests: Counter;
  duration: Histogram;
  requestBytes: Histogram;
  responseBytes: Histogram;
}

interface HttpSet {
  text: string;
  last: HttpSeries | undefined;
  byCode: Map<number, HttpSeries[]>;
}

interface TcpSet {
  text: string;
  byFlags: Map<string, TcpSeries>;
}

/** `name="value",...` for a label set, in {@link ISTIO_LABEL_NAMES} order. */
export function istioLabelText(labels: IstioLabels): string {
  let text = '';
  for (const name of ISTIO_LABEL_NAMES) text += `${text ? ',' : ''}${name}="${escapeLabelValue(labels[name])}"`;
  return text;
}

/**
 * Finds the series of a label set by the identity of its {@link LabelBase} (made once per snapshot
 * or peer), so recording a request hashes no label object: the label text is rendered when a label
 * set is first seen, then one WeakMap lookup and, for a new (code, flags), one small map lookup.
 * Series are keyed by their text in the metrics, so a new snapshot's label set with the same values
 * continues the old counts.
 */
export class IstioSeries {
  readonly #http: HttpMetrics;
  readonly #httpSets = new WeakMap<LabelBase, HttpSet>();
  readonly #tcpSets = new WeakMap<LabelBase, TcpSet>();

  constructor(http: HttpMetrics) {
    this.#http = http;
  }

  /** The series of an HTTP request with this label set, status and flags. */
  http(base: LabelBase, code: number, flags: string): HttpSeries {
    let set = this.#httpSets.get(base);
    if (set === undefined) {
      set = { text: istioLabelText(base.labels), last: undefined, byCode: new Map() };
      this.#httpSets.set(base, set);
    }
    const last = set.last;
    if (last !== undefined && last.code === code && last.flags === flags) return last;
    let list = set.byCode.get(code);
    if (list === undefined) set.byCode.set(code, (list = []));
    let s: HttpSeries | undefined;
    for (const x of list) if (x.flags === flags) s = x;
    if (s === undefined) {
      const text = `${set.text},response_code="${code}",response_flags="${escapeLabelValue(flags)}"`;
      const m = this.#http;
      s = { code, flags, requests: m.requests.withText(text), duration: m.duration.withText(text), requestBytes: m.requestBytes.withText(text), responseBytes: m.responseBytes.withText(text) };
      list.push(s);
    }
    set.last = s;
    return s;
  }

  /** The series of a TCP connection with this label set and flags (its counters made by the caller). */
  tcp(base: LabelBase, flags: string): TcpSeries {
    let set = this.#tcpSets.get(base);
    if (set === undefined) {
      set = { text: istioLabelText(base.labels), byFlags: new Map() };
      this.#tcpSets.set(base, set);
    }
    let s = set.byFlags.get(flags);
    if (s === undefined) set.byFlags.set(flags, (s = { text: `${set.text},response_flags="${escapeLabelValue(flags)}"` }));
    return s;
  }
}
