/** Human progress lines on stderr (stdout stays for results and --json). Quiet in --json mode. */
export class Progress {
  readonly #quiet: boolean;
  readonly #t0 = Date.now();

  constructor(quiet = false) {
    this.#quiet = quiet;
  }

  step(label: string, text: string): void {
    if (this.#quiet) return;
    process.stderr.write(`  ${label.padEnd(9)} ${text}\n`);
  }

  line(text: string): void {
    if (!this.#quiet) process.stderr.write(text + '\n');
  }

  /** Seconds since this progress started, one decimal. */
  elapsed(): string {
    return ((Date.now() - this.#t0) / 1000).toFixed(1);
  }
}
