import type { MetricOptions } from './metric.ts';
import { ScalarMetric } from './scalar-metric.ts';

/** One labelled series of a {@link Gauge}. */
export class GaugeSeries {
  /** Rendered label text (inside the braces). */
  readonly labels: string;
  value = 0;

  constructor(labels: string) {
    this.labels = labels;
  }

  set(value: number): void {
    this.value = value;
  }
}

/** A Prometheus gauge with fixed label names, usually filled from live state by its `collect` hook. */
export class Gauge extends ScalarMetric<GaugeSeries> {
  constructor(opts: MetricOptions<Gauge>) {
    super(opts as MetricOptions<unknown>, 'gauge', (labels) => new GaugeSeries(labels));
  }

  /** Sets the series without labels. */
  set(value: number): void {
    this.unlabelled.set(value);
  }
}
