/**
 * I/O shell of discovery: lists the project's containers, follows the Docker event stream and, on
 * any container event, re-lists everything and hands the full set to `onChange` (never a per-event
 * patch). Resubscribes with `since` when the stream dies (engine restart) and re-lists then too.
 */
import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';
import { COMPOSE, namespaceLabelProblem, toWorkloads, type ContainerData, type Workload } from './labels.ts';
import { LABELS } from '../../wire/types.ts';
import { EventFollower } from './docker-events.ts';

export interface DockerProviderOptions {
  docker: Docker;
  project: string;
  namespace?: string;
  /** Coalesces bursts of events into one re-list. */
  debounceMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Emits `workloads` (Workload[]) with the full set whenever it may have changed, and `agents`. */
export class DockerProvider extends EventEmitter {
  readonly #opts: Required<Omit<DockerProviderOptions, 'namespace' | 'log'>> & Pick<DockerProviderOptions, 'namespace' | 'log'>;
  #events: EventFollower | null = null;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  #relisting: Promise<void> | null = null;
  #again = false;

  /** Containers whose `dockmesh.namespace` label was reported as not a namespace name. */
  readonly #badNamespace = new Set<string>();

  constructor(opts: DockerProviderOptions) {
    super();
    this.#opts = { debounceMs: 50, ...opts };
  }

  /** Lists once, then follows events. Resolves after the first list. */
  async start(): Promise<Workload[]> {
    const first = await this.list();
    this.emit('workloads', first);
    const { docker, project, log } = this.#opts;
    this.#events = new EventFollower({
      docker,
      filters: { type: ['container'], label: [`${COMPOSE.project}=${project}`] },
      onEvent: (ev) => {
        this.emit('event', ev);
        this.refresh();
      },
      // Events may have been missed between the list and the subscription: re-list once.
      onOpen: () => this.refresh(),
      log,
    });
    void this.#events.start();
    return first;
  }

  /** The project's running app workloads, read fresh from the engine. */
  async list(): Promise<Workload[]> {
    const { docker, project, namespace } = this.#opts;
    const summaries = await docker.listContainers({
      all: false,
      filters: { label: [`${COMPOSE.project}=${project}`] },
    });
    const inspected: ContainerData[] = [];
    for (const s of summaries) {
      if (s.Labels?.[LABELS.role]) continue;
      try {
        inspected.push((await docker.getContainer(s.Id).inspect()) as unknown as ContainerData);
      } catch {
        // gone between list and inspect: the next event re-lists
      }
    }
    const workloads = toWorkloads(inspected, { project, namespace });
    for (const w of workloads) {
      const value = w.labels[LABELS.namespace];
      const problem = value === undefined ? undefined : namespaceLabelProblem(value);
      if (problem && !this.#badNamespace.has(w.container)) {
        this.#badNamespace.add(w.container);
        this.#opts.log?.(`${w.containerName}: ${problem}; it stays in namespace "${w.namespace}"`);
      }
    }
    return workloads;
  }

  /** Schedules a full re-list (coalesced). Safe to call from event handlers. */
  refresh(): void {
    if (this.#closed) return;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#relist();
    }, this.#opts.debounceMs);
  }

  async #relist(): Promise<void> {
    if (this.#relisting) {
      this.#again = true;
      return;
    }
    this.#relisting = (async () => {
      do {
        this.#again = false;
        try {
          this.emit('workloads', await this.list());
        } catch (err) {
          this.#opts.log?.('re-list failed', { error: (err as Error).message });
        }
      } while (this.#again && !this.#closed);
    })();
    await this.#relisting;
    this.#relisting = null;
  }

  /** Stops following events. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#events?.close();
    this.#events = null;
  }
}
