import { formatValue, headerLines } from './exposition.ts';
import type { Metric, MetricOptions } from './metric.ts';
import { SeriesMap } from './series-map.ts';

/** One labelled series of a {@link Histogram}: per-bucket counts (not cumulative), sum and count. */
export class HistogramSeries {
  /** Rendered label text (inside the braces). */
  readonly labels: string;
  readonly #bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(labels: string, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  /** Records one value; a non-finite one is ignored. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** Options of a histogram: its upper bounds, ascending (`+Inf` is implied). */
export interface HistogramOptions extends MetricOptions<Histogram> {
  buckets: readonly number[];
}

/** A Prometheus histogram with fixed label names and buckets. */
export class Histogram implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly #series: SeriesMap<HistogramSeries>;
  readonly #collect: ((h: Histogram) => void) | undefined;
  /** `name_bucket{le="<bound>"`, per bound and for `+Inf`: the fixed start of each bucket line. */
  readonly #bucketPrefixes: string[];

  constructor(opts: HistogramOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    this.buckets = [...opts.buckets];
    this.#collect = opts.collect;
    this.#series = new SeriesMap(this.labelNames, (labels) => new HistogramSeries(labels, this.buckets));
    this.#bucketPrefixes = [...this.buckets.map((b) => formatValue(b)), '+Inf'].map((le) => `${this.name}_bucket{le="${le}"`);
  }

  /** The series with the rendered label text `labels` (the hot path: no hashing of label objects). */
  withText(labels: string): HistogramSeries {
    return this.#series.byText(labels);
  }

  /** The series with these label values, in label-name order. */
  labels(...values: string[]): HistogramSeries {
    return this.#series.byValues(values);
  }

  /** Drops every series. */
  reset(): void {
    this.#series.clear();
  }

  render(): string {
    this.#collect?.(this);
    const name = this.name;
    const prefixes = this.#bucketPrefixes;
    let out = headerLines(name, this.help, 'histogram');
    for (const s of this.#series.values()) {
      const tail = s.labels === '' ? '}' : `,${s.labels}}`;
      let cumulative = 0;
      for (let i = 0; i < s.counts.length; i++) {
        cumulative += s.counts[i]!;
        out += `\n${prefixes[i]}${tail} ${cumulative}`;
      }
      out += `\n${prefixes[s.counts.length]}${tail} ${s.count}`;
      out += s.labels === '' ? `\n${name}_sum ${formatValue(s.sum)}\n${name}_count ${s.count}` : `\n${name}_sum{${s.labels}} ${formatValue(s.sum)}\n${name}_count{${s.labels}} ${s.count}`;
    }
    return out;
  }
}
