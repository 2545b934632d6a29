import { labelText } from './exposition.ts';

/**
 * The series of one metric, in creation order (the order they are exposed in), keyed by their
 * rendered label text; and, for callers that have label values rather than a rendered text, a
 * second index by the values. One series per distinct label text, so a new label-set object with
 * the same values continues the same series.
 */
export class SeriesMap<S> {
  readonly #names: readonly string[];
  readonly #create: (labels: string) => S;
  #byText = new Map<string, S>();
  #byValues = new Map<string, S>();

  constructor(names: readonly string[], create: (labels: string) => S) {
    this.#names = names;
    this.#create = create;
  }

  /** The series with the rendered label text `labels`, created on first use. */
  byText(labels: string): S {
    let s = this.#byText.get(labels);
    if (s === undefined) {
      s = this.#create(labels);
      this.#byText.set(labels, s);
    }
    return s;
  }

  /** The series with these label values (in label-name order), created on first use. */
  byValues(values: readonly string[]): S {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let s = this.#byValues.get(key);
    if (s === undefined) {
      s = this.byText(labelText(this.#names, values));
      this.#byValues.set(key, s);
    }
    return s;
  }

  /** Every series, in creation order. */
  values(): IterableIterator<S> {
    return this.#byText.values();
  }

  /** Drops every series. */
  clear(): void {
    this.#byText.clear();
    this.#byValues.clear();
  }
}
