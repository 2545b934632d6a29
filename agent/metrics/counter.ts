import type { MetricOptions } from './metric.ts';
import { ScalarMetric } from './scalar-metric.ts';

/** One labelled series of a {@link Counter}. */
export class CounterSeries {
  /** Rendered label text (inside the braces). */
  readonly labels: string;
  value = 0;

  constructor(labels: string) {
    this.labels = labels;
  }

  /** Adds `n` (default 1); a negative or non-finite `n` is ignored, so the count never goes back. */
  inc(n = 1): void {
    if (n > 0 && n !== Infinity) this.value += n;
  }
}

/** A Prometheus counter with fixed label names. */
export class Counter extends ScalarMetric<CounterSeries> {
  constructor(opts: MetricOptions<Counter>) {
    super(opts as MetricOptions<unknown>, 'counter', (labels) => new CounterSeries(labels));
  }

  /** The series with the rendered label text `labels` (the hot path: no hashing of label objects). */
  withText(labels: string): CounterSeries {
    return this.series.byText(labels);
  }

  /** Adds `n` to the series without labels. */
  inc(n = 1): void {
    this.unlabelled.inc(n);
  }
}
