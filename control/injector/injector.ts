/**
 * I/O: keeps exactly one running agent sidecar per injectable app container of the project, and
 * none for containers that are gone. Reconciles from the full workload set (never per event).
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { tokenHash as hashOf } from '../api/bearer-token.ts';
import { LABELS } from '../../wire/types.ts';
import type { Workload } from '../discovery/labels.ts';
import { AGENT_LABELS, agentName, agentSpec, staleReason } from './agent-spec.ts';
import { demuxLogs, noteExit, type AgentExit } from './agent-exits.ts';
import { EventFollower } from '../discovery/docker-events.ts';

/** How long the injector remembers an agent it stopped itself (its `die` event comes after). */
const OWN_STOP_MEMORY_MS = 120_000;

export interface InjectorOptions {
  docker: Docker;
  project: string;
  image: string;
  /** Where an agent in `w`'s namespace reaches the control server, e.g. `https://172.18.0.2:15012`. */
  controlUrlFor: (w: Workload) => string | undefined;
  env?: Record<string, string>;
  /** PEM roots for agents to check the control server's certificate with (an `https:` control URL). */
  controlCa?: () => string | undefined;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface AgentContainer {
  id: string;
  name: string;
  appId: string;
  running: boolean;
  labels: Record<string, string>;
}

/** What happened to one app container in a reconcile pass (for progress output). */
export interface InjectEvent {
  container: string;
  action: 'created' | 'replaced' | 'removed' | 'failed';
  reason?: string;
}

export class Injector {
  readonly #o: InjectorOptions;
  /** app container id → sha256 of its agent's bootstrap token. */
  readonly tokenHashes = new Map<string, string>();
  /** app container id → agent container name. */
  readonly agentNames = new Map<string, string>();
  /** app container id → last failure. */
  readonly failures = new Map<string, string>();
  /** app container id → its agent's exits in a row (agent-exits.ts). */
  readonly exits = new Map<string, AgentExit>();
  /** Ids of agent containers the injector stops itself: their `die` is no crash. */
  readonly #stopping = new Set<string>();
  #events: EventFollower | null = null;
  #running: Promise<InjectEvent[]> | null = null;
  #queued: Workload[] | null = null;
  #closed = false;

  constructor(o: InjectorOptions) {
    this.#o = o;
  }

  /** Reconciles against `workloads`; concurrent calls coalesce to the latest set. */
  async reconcile(workloads: readonly Workload[]): Promise<InjectEvent[]> {
    this.#queued = [...workloads];
    if (this.#running) return this.#running;
    this.#running = (async () => {
      const events: InjectEvent[] = [];
      while (this.#queued && !this.#closed) {
        const next = this.#queued;
        this.#queued = null;
        events.push(...(await this.#pass(next)));
      }
      return events;
    })();
    try {
      return await this.#running;
    } finally {
      this.#running = null;
    }
  }

  async #listAgents(): Promise<AgentContainer[]> {
    const list = await this.#o.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.role}=agent`, `${LABELS.project}=${this.#o.project}`] },
    });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      appId: c.Labels?.[LABELS.agentFor] ?? '',
      running: c.State === 'running',
      labels: c.Labels ?? {},
    }));
  }

  async #pass(workloads: Workload[]): Promise<InjectEvent[]> {
    const events: InjectEvent[] = [];
    const agents = await this.#listAgents();
    const wanted = new Map(workloads.filter((w) => w.inject).map((w) => [w.container, w]));
    for (const a of agents) {
      const w = wanted.get(a.appId);
      const why = w ? staleReason(a, w, this.#o.image) : 'app container gone';
      if (!why) {
        this.tokenHashes.set(a.appId, a.labels[AGENT_LABELS.tokenHash] ?? '');
        this.agentNames.set(a.appId, a.name);
        continue;
      }
      await this.#remove(a.id);
      if (!w) {
        this.tokenHashes.delete(a.appId);
        this.agentNames.delete(a.appId);
        this.exits.delete(a.appId);
        events.push({ container: a.appId, action: 'removed', reason: why });
      } else {
        const created = await this.#create(w);
        events.push(created ? { container: w.container, action: 'replaced', reason: why } : this.#failed(w));
      }
      wanted.delete(a.appId);
    }
    for (const w of wanted.values()) {
      if (agents.some((a) => a.appId === w.container)) continue;
      events.push((await this.#create(w)) ? { container: w.container, action: 'created' } : this.#failed(w));
    }
    return events;
  }

  #failed(w: Workload): InjectEvent {
    return { container: w.container, action: 'failed', reason: this.failures.get(w.container) };
  }

  async #create(w: Workload): Promise<boolean> {
    const controlUrl = this.#o.controlUrlFor(w);
    if (!controlUrl) {
      this.failures.set(w.container, 'no network shared with the control server');
      return false;
    }
    const token = randomBytes(24).toString('hex');
    const tokenHash = hashOf(token);
    const spec = agentSpec(w, {
      image: this.#o.image,
      project: this.#o.project,
      controlUrl,
      controlCa: this.#o.controlCa?.(),
      token,
      tokenHash,
      env: this.#o.env,
    });
    try {
      await this.#removeByName(agentName(w));
      this.tokenHashes.set(w.container, tokenHash);
      const c = await this.#o.docker.createContainer(spec as Docker.ContainerCreateOptions);
      await c.start();
      this.agentNames.set(w.container, agentName(w));
      this.failures.delete(w.container);
      this.#o.log?.('agent attached', { container: w.containerName, agent: agentName(w) });
      return true;
    } catch (err) {
      this.failures.set(w.container, (err as Error).message);
      this.#o.log?.('attach failed', { container: w.containerName, error: (err as Error).message });
      return false;
    }
  }

  async #removeByName(name: string): Promise<void> {
    try {
      await this.#remove(name);
    } catch {
      // nothing by that name
    }
  }

  /** Stops (SIGTERM, so the agent removes its rules) and removes an agent container. */
  async #remove(idOrName: string): Promise<void> {
    const c = this.#o.docker.getContainer(idOrName);
    let id: string;
    try {
      id = (await c.inspect()).Id;
    } catch (err) {
      if (/no such container/i.test((err as Error).message)) return;
      throw err;
    }
    // By id: a new agent of the same name may exit on its own later.
    this.#stopping.add(id);
    setTimeout(() => this.#stopping.delete(id), OWN_STOP_MEMORY_MS).unref();
    try {
      await c.stop({ t: 10 });
    } catch {
      // already stopped
    }
    try {
      await c.remove({ force: true });
    } catch (err) {
      if (!/no such container/i.test((err as Error).message)) throw err;
    }
  }

  /**
   * Follows the project's agent containers: when one exits that the injector did not stop, records
   * why (exit code, its last error line) and calls `onExit` with when to start a new one. An agent
   * whose app container stopped exits too; the reconcile then finds the app gone.
   */
  watch(onExit: (appId: string, exit: AgentExit) => void): void {
    if (this.#closed || this.#events) return;
    const { docker, project, log } = this.#o;
    this.#events = new EventFollower({
      docker,
      filters: { type: ['container'], event: ['die'], label: [`${LABELS.role}=agent`, `${LABELS.project}=${project}`] },
      onEvent: (ev) => void this.#died(ev.Actor?.ID ?? '', ev.Actor?.Attributes ?? {}, onExit),
      log,
    });
    void this.#events.start();
  }

  async #died(id: string, attrs: Record<string, string>, onExit: (appId: string, exit: AgentExit) => void): Promise<void> {
    const appId = attrs[LABELS.agentFor];
    if (this.#closed || !appId || this.#stopping.has(id)) return;
    let logs = '';
    try {
      logs = demuxLogs((await this.#o.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: 30 })) as unknown as Buffer);
    } catch {
      // removed already
    }
    const code = attrs.exitCode === undefined ? undefined : Number(attrs.exitCode);
    const exit = noteExit(this.exits.get(appId), code, logs, Date.now());
    this.exits.set(appId, exit);
    this.#o.log?.('agent exited', { container: attrs.name, exitCode: code, reason: exit.reason, count: exit.count, restartInMs: exit.restartAt - exit.at });
    onExit(appId, exit);
  }

  close(): void {
    this.#closed = true;
    this.#events?.close();
    this.#events = null;
  }
}
