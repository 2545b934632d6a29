import type { IstioLabels, LabelBase } from './istio-labels.ts';
import { escapeLabelValue } from './metrics/exposition.ts';
import { CounterSeries, type Counter } from './metrics/counter.ts';
import { HistogramSeries, type Histogram } from './metrics/histogram.ts';
import { directionPlan, dynamicKey, renderLabels, type DirectionPlan, type MetricPlan } from './metric-overrides.ts';
import type { MetricRequest } from '../wire/metric-tag-value.ts';
import type { RequestHeaders } from '../wire/cel.ts';
import type { MeshSettingsSnapshot, StandardMetric } from '../wire/types.ts';

/** Istio's labels in the order the agent exposes them (response_code and response_flags follow). */
export const ISTIO_LABEL_NAMES: readonly (keyof IstioLabels)[] = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app',
  'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace',
  'request_protocol', 'connection_security_policy',
];

const HTTP_LABEL_NAMES: readonly string[] = [...ISTIO_LABEL_NAMES, 'response_code', 'response_flags'];
const TCP_LABEL_NAMES: readonly string[] = [...ISTIO_LABEL_NAMES, 'response_flags'];

/** What a metric tag override may read of a request (an Exchange or an Upgrade's report). */
export interface MetricRequestSource {
  readonly method: string;
  readonly head: { readonly host?: string };
  readonly req: { readonly url?: string; readonly headers?: RequestHeaders };
  readonly binding: { readonly port: number };
  readonly verifiedPeer: { readonly spiffeId: string } | undefined;
}

/** Where a disabled metric's observations go: series in no metric, never exposed. */
const DISCARDED_COUNTER = new CounterSeries('');
const DISCARDED_HISTOGRAM = new HistogramSeries('', []);

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

/** The istio_tcp_* metrics. */
export interface TcpMetrics {
  opened: Counter;
  closed: Counter;
  sent: Counter;
  received: Counter;
}

interface HttpSet {
  text: string;
  last: HttpSeries | undefined;
  byCode: Map<number, HttpSeries[]>;
  /** Telemetry metric overrides of this label set's direction; undefined: Istio's standard labels. */
  plan: DirectionPlan | undefined;
  /** With a plan: its series by code, flags and the request-reading labels' values. */
  planned: Map<string, HttpSeries> | undefined;
}

interface TcpSet {
  text: string;
  byFlags: Map<string, TcpSeries>;
  plan: DirectionPlan | undefined;
}

function standardValues(labels: IstioLabels): string[] {
  return ISTIO_LABEL_NAMES.map((n) => labels[n]);
}

function requestOf(src: MetricRequestSource, status: number): MetricRequest {
  return { method: src.method, host: src.head.host ?? '', path: src.req.url ?? '', status, port: src.binding.port, principal: src.verifiedPeer?.spiffeId, headers: src.req.headers };
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
  readonly #tcp: TcpMetrics;
  #httpSets = new WeakMap<LabelBase, HttpSet>();
  #tcpSets = new WeakMap<LabelBase, TcpSet>();
  #overrides = '';
  #outbound: DirectionPlan | undefined;
  #inbound: DirectionPlan | undefined;

  constructor(http: HttpMetrics, tcp: TcpMetrics) {
    this.#http = http;
    this.#tcp = tcp;
  }

  /**
   * Puts a snapshot's Telemetry metric overrides in force. When they change, label sets are looked
   * up afresh (the series already made keep their counts and stay exposed).
   */
  setOverrides(o: MeshSettingsSnapshot['metrics']): void {
    const key = o ? JSON.stringify(o) : '';
    if (key === this.#overrides) return;
    this.#overrides = key;
    this.#outbound = directionPlan(o?.outbound, HTTP_LABEL_NAMES);
    this.#inbound = directionPlan(o?.inbound, HTTP_LABEL_NAMES);
    this.#httpSets = new WeakMap();
    this.#tcpSets = new WeakMap();
  }

  #planOf(labels: IstioLabels): DirectionPlan | undefined {
    return labels.reporter === 'source' ? this.#outbound : this.#inbound;
  }

  /** The series of an HTTP request with this label set, status and flags (`req`: for overrides that read it). */
  http(base: LabelBase, code: number, flags: string, req?: MetricRequestSource): HttpSeries {
    let set = this.#httpSets.get(base);
    if (set === undefined) {
      const plan = this.#planOf(base.labels);
      set = { text: istioLabelText(base.labels), last: undefined, byCode: new Map(), plan, planned: plan && new Map() };
      this.#httpSets.set(base, set);
    }
    if (set.plan !== undefined) return this.#planned(set, base, code, flags, req);
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

  /** The series of a request whose direction has overrides (made once per code, flags and dynamic values). */
  #planned(set: HttpSet, base: LabelBase, code: number, flags: string, src: MetricRequestSource | undefined): HttpSeries {
    const plan = set.plan!;
    const req = plan.dynamic && src ? requestOf(src, code) : undefined;
    const key = req ? `${code}\u0000${flags}${dynamicKey(plan, req)}` : `${code}\u0000${flags}`;
    let s = set.planned!.get(key);
    if (s === undefined) {
      const values = [...standardValues(base.labels), String(code), flags];
      const standard = `${set.text},response_code="${code}",response_flags="${escapeLabelValue(flags)}"`;
      const text = (p: MetricPlan | undefined): string => (p ? renderLabels(p, HTTP_LABEL_NAMES, values, req) : standard);
      const m = this.#http;
      const c = (metric: StandardMetric, counter: Counter): CounterSeries => {
        const p = plan.metrics[metric];
        return p?.disabled ? DISCARDED_COUNTER : counter.withText(text(p));
      };
      const h = (metric: StandardMetric, histogram: Histogram): HistogramSeries => {
        const p = plan.metrics[metric];
        return p?.disabled ? DISCARDED_HISTOGRAM : histogram.withText(text(p));
      };
      s = { code, flags, requests: c('REQUEST_COUNT', m.requests), duration: h('REQUEST_DURATION', m.duration), requestBytes: h('REQUEST_SIZE', m.requestBytes), responseBytes: h('RESPONSE_SIZE', m.responseBytes) };
      set.planned!.set(key, s);
    }
    return s;
  }

  /**
   * The series of a TCP connection with this label set and flags: its counters made by the caller
   * from `text`, or (a direction with overrides) made here, each with its own labels.
   */
  tcp(base: LabelBase, flags: string): TcpSeries {
    let set = this.#tcpSets.get(base);
    if (set === undefined) {
      set = { text: istioLabelText(base.labels), byFlags: new Map(), plan: this.#planOf(base.labels) };
      this.#tcpSets.set(base, set);
    }
    let s = set.byFlags.get(flags);
    if (s === undefined) {
      s = { text: `${set.text},response_flags="${escapeLabelValue(flags)}"` };
      const plan = set.plan;
      if (plan) {
        const values = [...standardValues(base.labels), flags];
        const t = this.#tcp;
        const c = (metric: StandardMetric, counter: Counter): CounterSeries => {
          const p = plan.metrics[metric];
          return p?.disabled ? DISCARDED_COUNTER : counter.withText(p ? renderLabels(p, TCP_LABEL_NAMES, values, undefined) : s!.text);
        };
        s.opened = c('TCP_OPENED_CONNECTIONS', t.opened);
        s.closed = c('TCP_CLOSED_CONNECTIONS', t.closed);
        s.sent = c('TCP_SENT_BYTES', t.sent);
        s.received = c('TCP_RECEIVED_BYTES', t.received);
      }
      set.byFlags.set(flags, s);
    }
    return s;
  }
}
