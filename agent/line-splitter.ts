/** Splits a stream of text chunks into complete lines (NDJSON); keeps the partial tail between pushes. */
export class LineSplitter {
  #tail = '';

  /** Adds a chunk and returns the complete, non-empty lines it finished. */
  push(chunk: string): string[] {
    const text = this.#tail + chunk;
    const parts = text.split('\n');
    this.#tail = parts.pop()!;
    return parts.map((l) => l.trim()).filter((l) => l !== '');
  }
}
