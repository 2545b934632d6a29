import { headerLines, sampleLine } from './exposition.ts';
import type { Metric, MetricOptions } from './metric.ts';
import { SeriesMap } from './series-map.ts';

/** A series holding one number. */
export interface ScalarSeries {
  /** Rendered label text (inside the braces). */
  readonly labels: string;
  value: number;
}

/**
 * What counters and gauges share: fixed label names, one number per series. A metric without
 * labels has its one series from the start (at 0); a labelled one has a series per label set once
 * it is first used.
 */
export abstract class ScalarMetric<S extends ScalarSeries> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series: SeriesMap<S>;
  readonly #type: 'counter' | 'gauge';
  readonly #collect: ((metric: this) => void) | undefined;
  #unlabelled: S | undefined;

  constructor(opts: MetricOptions<unknown>, type: 'counter' | 'gauge', create: (labels: string) => S) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    this.#type = type;
    this.#collect = opts.collect;
    this.series = new SeriesMap(this.labelNames, create);
    this.reset();
  }

  /** The series with these label values, in label-name order. */
  labels(...values: string[]): S {
    return this.series.byValues(values);
  }

  /** The series without labels. */
  protected get unlabelled(): S {
    return (this.#unlabelled ??= this.series.byText(''));
  }

  /** Drops every series (a metric without labels goes back to its one series at 0). */
  reset(): void {
    this.series.clear();
    this.#unlabelled = this.labelNames.length === 0 ? this.series.byText('') : undefined;
  }

  render(): string {
    this.#collect?.(this);
    let out = headerLines(this.name, this.help, this.#type);
    for (const s of this.series.values()) out += '\n' + sampleLine(this.name, s.labels, s.value);
    return out;
  }
}
