/** What every metric of a {@link MetricsRegistry} shares. */
export interface MetricOptions<M> {
  name: string;
  help: string;
  /** Label names, in the order their values are given and rendered. */
  labelNames?: readonly string[];
  /** Called before each render, to set values read from live state. */
  collect?: (metric: M) => void;
}

/** A metric as the registry sees it. */
export interface Metric {
  readonly name: string;
  /** The metric's block of the exposition: HELP, TYPE and its samples (no trailing newline). */
  render(): string;
}
