/**
 * I/O: watches the meshfile with chokidar and hands whole, settled contents to a callback.
 * Partial writes are absorbed by waiting until the file's size is stable (awaitWriteFinish);
 * editors' rename-swaps arrive as unlink+add and are coalesced by the debounce; a file that stays
 * deleted is reported once.
 */
import { watch, type FSWatcher } from 'chokidar';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

export interface MeshfileWatcherOptions {
  file: string;
  onContents: (text: string) => void;
  onDeleted: () => void;
  debounceMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class MeshfileWatcher {
  readonly #o: MeshfileWatcherOptions;
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastText: string | null = null;
  #closed = false;

  constructor(o: MeshfileWatcherOptions) {
    this.#o = o;
  }

  /** Reads the file once (if present) and starts watching. */
  async start(): Promise<void> {
    await this.#read();
    // Watch the directory, not the file: a file that does not exist yet, or that an editor
    // replaces by rename, is still seen.
    const file = resolve(this.#o.file);
    this.#watcher = watch(dirname(file), {
      ignoreInitial: true,
      depth: 0,
      awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 },
      atomic: 50,
    });
    this.#watcher.on('all', (_event, path) => {
      if (basename(path) === basename(file)) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#o.log?.('meshfile watch error', { error: String(err) }));
    await new Promise<void>((resolve) => this.#watcher!.once('ready', () => resolve()));
  }

  /** The contents last handed on (null: none yet, or deleted). */
  get text(): string | null {
    return this.#lastText;
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#read();
    }, this.#o.debounceMs ?? 20);
  }

  async #read(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#o.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (this.#lastText !== null) this.#o.onDeleted();
        this.#lastText = null;
        return;
      }
      this.#o.log?.('meshfile unreadable', { error: (err as Error).message });
      return;
    }
    if (text === this.#lastText) return;
    this.#lastText = text;
    this.#o.onContents(text);
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watcher?.close();
    this.#watcher = null;
  }
}
