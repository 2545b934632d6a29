import { Counter } from './counter.ts';
import { Gauge } from './gauge.ts';
import { Histogram, type HistogramOptions } from './histogram.ts';
import type { Metric, MetricOptions } from './metric.ts';

/** Content type of {@link MetricsRegistry.text}: Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The agent's metrics, exposed in registration order in the Prometheus text format 0.0.4 (the same
 * bytes prom-client writes for the same observations). Made for the data path: a series is found
 * by its rendered label text, which callers keep per label set, so recording hashes nothing.
 */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  /** Registers a counter. */
  counter(opts: MetricOptions<Counter>): Counter {
    return this.#add(new Counter(opts));
  }

  /** Registers a gauge. */
  gauge(opts: MetricOptions<Gauge>): Gauge {
    return this.#add(new Gauge(opts));
  }

  /** Registers a histogram. */
  histogram(opts: HistogramOptions): Histogram {
    return this.#add(new Histogram(opts));
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** The exposition text (each metric's `collect` hook runs first). */
  text(): string {
    const blocks: string[] = [];
    for (const m of this.#metrics.values()) blocks.push(m.render());
    return `${blocks.join('\n\n')}\n`;
  }
}
