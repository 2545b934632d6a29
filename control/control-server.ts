/**
 * The control server: discovery → registry → compile → push, plus the injector and the API.
 * Everything here is wiring and run-time state; the logic lives in the modules it composes.
 */
import type Docker from 'dockerode';
import type { EventEmitter } from 'node:events';
import { PORTS, type AgentReport, type StatusView } from '../wire/types.ts';
import { compileSnapshot, meshfileContext } from './compile/snapshot.ts';
import type { ConfigStore } from './config/config-store.ts';
import type { MeshSpec } from './meshfile/mesh-spec.ts';
import { hostLookup, type MeshfileContext } from './meshfile/host-resolver.ts';
import type { Workload } from './discovery/labels.ts';
import { EndpointRegistry } from './registry/endpoint-registry.ts';
import { AgentHub } from './push/agent-hub.ts';
import { Injector } from './injector/injector.ts';
import { exitText } from './injector/agent-exits.ts';
import { buildApi, type ApiOptions, type ApiRole } from './api/server.ts';
import { ControlCertificate, type ServerCredential } from './ca/control-certificate.ts';
import { TemporaryFaults } from './faults/temporary-faults.ts';
import type { LocalCa } from './ca/local-ca.ts';
import { IssuedCertificates } from './ca/issued-certificates.ts';
import { AgentAuthenticator } from './api/agent-authenticator.ts';
import { tokenHash } from './api/bearer-token.ts';
import type { FastifyInstance } from 'fastify';
import { CanaryController } from './canary/canary-controller.ts';
import { createHash, randomBytes } from 'node:crypto';
import { fanIn, type TapQuery, type TapTarget } from './tap/tap-fanin.ts';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Server } from 'node:https';

/** The agents' TLS listener's options for a credential: TLS 1.3 only. */
const serverTls = (c: ServerCredential) => ({ key: c.key, cert: c.cert, minVersion: 'TLSv1.3' as const });

/** Where workloads come from: the Docker provider, or a fixed list in tests. */
export interface WorkloadSource extends EventEmitter {
  start(): Promise<Workload[]>;
  close(): void;
}

export interface ControlServerOptions {
  project: string;
  apiToken: string;
  source: WorkloadSource;
  /** Set to inject agent sidecars (container mode). */
  injector?: { docker: Docker; image: string; controlUrlFor: (w: Workload) => string | undefined; env?: Record<string, string> };
  /** Tokens of agents not started by the injector (process-mode agents in tests): container → token. */
  staticAgentTokens?: Map<string, string>;
  excludedPorts?: number[];
  /** Where agents send traces when the meshfile names no collector (`mesh up --observability`'s Jaeger). */
  defaultTracingEndpoint?: string;
  /** Where MetricTemplates without an address send their queries (the project's bundled Prometheus). */
  metricsServer?: string;
  /** The meshfile in force (absent: defaults everywhere). */
  config?: ConfigStore<MeshSpec, MeshfileContext>;
  /**
   * Settles once the meshfile has been read the first time (after discovery: it names the project's
   * services). Until then no snapshot is made: one compiled without it would have the defaults, and
   * agents reconnecting to a restarted control server would drop the meshfile's routing for it.
   */
  configLoaded?: Promise<void>;
  /** The local CA: signs agents' CSRs; its roots go into every snapshot. */
  ca?: LocalCa;
  /** Lifetime of the leaves the CA signs; default 24 h (short in renewal tests). */
  leafTtlMs?: number;
  version?: string;
  /** Overrides every Canary's analysis interval (tests). */
  canaryIntervalMs?: number;
  /** A directory that outlives the control server (its container's volume): the Canaries' states go there. */
  stateDir?: string;
  /** Called after each workload change is reconciled (control main uses it to join networks). */
  onWorkloads?: (w: Workload[]) => Promise<void> | void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * Agents connecting, disconnecting and reporting readiness recompile the snapshots once this long
   * after the last of them (default {@link PUSH_DEBOUNCE_MS}), and at most {@link PUSH_DEBOUNCE_MAX_MS}
   * after the first. Meshfile, fault, workload and CA changes recompile at once.
   */
  pushDebounceMs?: number;
}

/** istiod's PILOT_DEBOUNCE_AFTER: quiet time before agents' own events recompile the snapshots. */
export const PUSH_DEBOUNCE_MS = 100;
/** Longest a (re)started control server waits for its agents to reconnect before its first snapshots. */
export const AGENTS_BACK_MAX_MS = 10_000;
/** Longest an agent event waits for the recompile, however busy (istiod's PILOT_DEBOUNCE_MAX is 10 s). */
export const PUSH_DEBOUNCE_MAX_MS = 1000;

/** What `mesh routes` and `mesh tap` accept as a name: the logical service, the compose service or the container. */
const named = (w: Workload, name: string): boolean => w.service === name || w.workload === name || w.containerName === name;

export class ControlServer {
  readonly registry = new EndpointRegistry();
  readonly hub = new AgentHub();
  readonly faults = new TemporaryFaults();
  readonly issued = new IssuedCertificates();
  readonly canaries: CanaryController;
  readonly injector: Injector | null;
  readonly api: FastifyInstance;
  /** The agents' TLS listener (with a CA, once started). */
  agentApi: FastifyInstance | null = null;
  #agentApiAddress = '';
  #controlCert: ControlCertificate | undefined;
  readonly #o: ControlServerOptions;
  readonly #started = Date.now();
  #apiAddress = '';
  #closed = false;
  #configVersion = 0;
  /** The key the control server taps agents with; their snapshots carry its hash. */
  readonly #tapKey = randomBytes(32).toString('hex');
  readonly #tapKeyHash: string;
  readonly #auth: AgentAuthenticator;
  #lastHashes = '';
  #debounceTimer: NodeJS.Timeout | undefined;
  /** Waiting for the meshfile's first load ({@link ControlServerOptions.configLoaded}). */
  #configPending: boolean;
  /** When the first agent event of the pending recompile came (ms). */
  #debounceSince: number | undefined;

  constructor(o: ControlServerOptions) {
    this.#o = o;
    this.#configPending = o.configLoaded !== undefined;
    void o.configLoaded?.then(async () => {
      await this.#agentsBack();
      this.#configPending = false;
      this.#recompile();
    });
    this.#tapKeyHash = createHash('sha256').update(this.#tapKey).digest('hex');
    this.injector = o.injector
      ? new Injector({ ...o.injector, project: o.project, log: o.log, controlCa: o.ca ? () => o.ca!.trustBundle().join('') : undefined })
      : null;
    this.#auth = new AgentAuthenticator({
      ca: o.ca,
      workloadOf: (c) => this.registry.workload(c),
      tokenHashOf: (c) => {
        const fixed = o.staticAgentTokens?.get(c);
        return fixed !== undefined ? tokenHash(fixed) : this.injector?.tokenHashes.get(c);
      },
    });
    this.canaries = new CanaryController({
      spec: () => o.config?.spec ?? null,
      view: () => this.registry.view(),
      adminOf: (c) => this.registry.agents.get(c)?.report?.admin,
      readyOf: (c) => this.#agentReady(c),
      intervalMs: o.canaryIntervalMs,
      metricsServer: o.metricsServer,
      cluster: o.project,
      stateFile: o.stateDir ? join(o.stateDir, 'canaries.json') : undefined,
      log: o.log,
    });
    this.canaries.on('change', () => this.#recompile());
    this.hub.onChange = () => this.#recompileSoon();
    o.config?.on('change', () => {
      this.canaries.sync();
      this.#recompile();
    });
    this.faults.on('change', () => this.#recompile());
    this.api = buildApi(this.#apiOptions(o.ca ? 'cli' : 'all'));
  }

  /** The API's options for a listener of `role` (the agents' TLS listener adds its certificate). */
  #apiOptions(role: ApiRole): ApiOptions {
    const o = this.#o;
    return {
      role,
      apiToken: o.apiToken,
      ca: o.ca
        ? {
            ca: o.ca,
            issued: this.issued,
            leafTtlMs: o.leafTtlMs,
            identityFor: (c) => {
              const w = this.registry.workload(c);
              return w ? { namespace: w.namespace, service: w.service } : undefined;
            },
            onIssued: (c, id, serial) => {
              this.#auth.issued(c, serial);
              o.log?.('certificate issued', { container: c, spiffeId: id, serial });
            },
          }
        : undefined,
      backend: {
        hub: this.hub,
        verifyAgent: (c, h) => this.#auth.verify(c, h),
        onReport: (c, r) => this.#onReport(c, r),
        onAck: (c, v, ok, err) => this.#onAck(c, v, ok, err),
        status: () => this.status(),
        snapshotsOf: (svc) => this.snapshotsOf(svc),
        meshfileContext: () => this.meshfileContext(),
        faults: this.faults,
        knowsService: (svc) => this.registry.workloads.some((w) => w.service === svc),
        knowsWorkload: (name) => this.registry.workloads.some((w) => named(w, name)),
        sdTargets: () => this.sdTargets(),
        canaries: () => this.canaries.list(),
        tap: (q, out) => this.tap(q, out),
      },
    };
  }

  /**
   * Starts discovery, injection and the API on `host:port`; with a CA also the agents' TLS listener on
   * `host:agentPort` (default {@link PORTS.controlTls}, or a free port when `port` is 0). Returns the
   * API address.
   */
  async start(host: string, port: number, agentPort = port === 0 ? 0 : PORTS.controlTls): Promise<string> {
    this.#apiAddress = await this.api.listen({ host, port });
    if (this.#o.ca) {
      const cert = new ControlCertificate({
        ca: this.#o.ca,
        ttlMs: this.#o.leafTtlMs,
        log: this.#o.log,
        onRenew: (c) => (this.agentApi?.server as Server | undefined)?.setSecureContext(serverTls(c)),
      });
      this.#controlCert = cert;
      const first = await cert.start();
      this.agentApi = buildApi({ ...this.#apiOptions('agents'), fastify: { https: serverTls(first) } });
      this.#agentApiAddress = await this.agentApi.listen({ host, port: agentPort });
    }
    this.#o.source.on('workloads', (w: Workload[]) => void this.#onWorkloads(w));
    // An agent that exits on its own is started again after a back-off (agent-exits.ts).
    this.injector?.watch((_app, exit) => {
      setTimeout(() => void this.#reattach(), Math.max(0, exit.restartAt - Date.now())).unref();
    });
    await this.#onWorkloads(await this.#o.source.start());
    this.canaries.sync();
    return this.#apiAddress;
  }

  async #onWorkloads(workloads: Workload[]): Promise<void> {
    if (this.#closed) return;
    const changed = this.registry.setWorkloads(workloads);
    for (const gone of [...this.registry.agents.keys()].filter((id) => !this.registry.workload(id))) {
      this.hub.forget(gone);
    }
    this.registry.prune();
    // Services came or went: objects naming them may become valid (or not).
    if (changed) this.#o.config?.revalidate();
    if (changed) this.canaries.sync();
    if (changed) this.#recompile();
    await this.#o.onWorkloads?.(workloads);
    if (this.injector) {
      await this.injector.reconcile(workloads);
      this.#recompile();
    }
  }



  /** A reconcile pass over the workloads in force (after an agent exited). */
  async #reattach(): Promise<void> {
    if (this.#closed || !this.injector) return;
    await this.injector.reconcile(this.registry.workloads);
    this.#recompile();
  }

  #onReport(container: string, report: AgentReport): void {
    if (this.registry.report(container, report)) this.#recompileSoon();
  }

  /**
   * Recompiles after agents' events have paused for `pushDebounceMs` (or `PUSH_DEBOUNCE_MAX_MS`
   * after the first): as 50 agents start, each connects and reports ready, and every one of those
   * events changes what the others' snapshots say (which endpoints speak mTLS). Recompiling at each
   * sent every agent a hundred snapshots in a row, each parsed, checked and applied.
   */
  #recompileSoon(): void {
    if (this.#closed) return;
    const quiet = this.#o.pushDebounceMs ?? PUSH_DEBOUNCE_MS;
    const now = Date.now();
    this.#debounceSince ??= now;
    clearTimeout(this.#debounceTimer);
    const wait = Math.max(0, Math.min(quiet, this.#debounceSince + PUSH_DEBOUNCE_MAX_MS - now));
    this.#debounceTimer = setTimeout(() => this.#recompile(), wait);
  }

  #onAck(container: string, version: number, ok: boolean, error?: string): void {
    const s = this.registry.agent(container);
    if (ok) {
      s.ackedVersion = Math.max(s.ackedVersion, version);
      s.lastNack = undefined;
    } else {
      s.lastNack = `v${version}: ${error ?? 'rejected'}`;
      this.#o.log?.('agent rejected snapshot', { container, version, error });
    }
  }

  /** Recompiles every agent's snapshot; pushes those whose hash changed. */
  #recompile(): void {
    if (this.#closed || this.#configPending) return;
    // What a pending debounced recompile would have done happens now.
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = undefined;
    this.#debounceSince = undefined;
    for (const [c, s] of this.registry.agents) s.connected = this.hub.connected(c);
    const view = this.registry.view();
    const spec = this.#o.config?.spec ?? null;
    const lookup = spec ? hostLookup(meshfileContext(view)) : undefined;
    const faults = this.faults.byService();
    const trust = this.#o.ca?.trust();
    const canaries = this.canaries.routing();
    const hashes: string[] = [];
    for (const w of view.workloads) {
      if (!w.inject && !this.#o.staticAgentTokens?.has(w.container)) continue;
      const snap = this.hub.publish(w.container, compileSnapshot(w, view, { excludedPorts: this.#o.excludedPorts, defaultTracingEndpoint: this.#o.defaultTracingEndpoint, spec, lookup, faults, trust, canaries, tapKeyHash: this.#tapKeyHash }));
      this.registry.agent(w.container).desiredVersion = snap.version;
      hashes.push(snap.hash);
    }
    const key = hashes.join(',');
    if (key !== this.#lastHashes) {
      this.#lastHashes = key;
      this.#configVersion++;
    }
  }

  status(): StatusView {
    const agents = this.registry.workloads
      .filter((w) => w.inject || this.#o.staticAgentTokens?.has(w.container))
      .map((w) => {
        const s = this.registry.agent(w.container);
        const exit = this.injector?.exits.get(w.container);
        const failure = this.injector?.failures.get(w.container) ?? (exit && !this.hub.connected(w.container) ? exitText(exit, Date.now()) : undefined);
        const ready = this.#agentReady(w.container);
        return {
          service: w.service,
          container: w.container,
          containerName: w.containerName,
          agentContainer: this.injector?.agentNames.get(w.container),
          ready,
          reason: ready
            ? undefined
            : failure ?? s.report?.reason ?? (this.hub.connected(w.container) ? 'waiting for first snapshot ACK' : 'agent not connected'),
          configVersion: s.ackedVersion,
          desiredVersion: s.desiredVersion,
          lastNack: s.lastNack,
          ports: [...(s.report?.ports ?? [])],
          connected: this.hub.connected(w.container),
          ...(exit && !ready && !this.hub.connected(w.container) && { exits: exit.count }),
        };
      });
    return {
      control: {
        project: this.#o.project,
        version: this.#o.version ?? '0.1.0',
        uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
        api: this.#apiAddress,
        ...(this.#agentApiAddress && { agentApi: this.#agentApiAddress }),
      },
      configVersion: this.#configVersion,
      agents,
      pushPending: this.#debounceTimer !== undefined,
      meshfile: this.#o.config?.view(),
      canaries: this.canaries.list().map(({ name, target, phase, canaryWeight, failedChecks, threshold, message }) => ({ name, target, phase, canaryWeight, failedChecks, threshold, message })),
    };
  }

  /**
   * Resolves once every agent the injector knows (after a restart: the ones still running from
   * before) has connected and reported, or after {@link AGENTS_BACK_MAX_MS}. Until an agent reports,
   * its endpoints compile as not meshed, and the other agents' capture rules leave them out: a
   * snapshot made earlier would send the project's traffic around the mesh until the reports came.
   */
  async #agentsBack(): Promise<void> {
    const deadline = Date.now() + AGENTS_BACK_MAX_MS;
    const back = () => [...(this.injector?.agentNames.keys() ?? [])].every((c) => this.hub.connected(c) && this.registry.agents.get(c)?.report !== undefined);
    while (!this.#closed && !back() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** The container's agent is connected, ready and has applied a snapshot. */
  #agentReady(container: string): boolean {
    const s = this.registry.agents.get(container);
    return this.hub.connected(container) && (s?.report?.ready ?? false) && (s?.ackedVersion ?? 0) > 0;
  }

  /** Recompiles every snapshot now (the CA's roots changed, ...); renews the control certificate when the signing root changed. */
  refresh(): void {
    this.#recompile();
    void this.#controlCert?.refresh().catch((err) => this.#o.log?.('control certificate refresh failed', { error: (err as Error).message }));
  }

  /** How agents reach this server: the TLS listener with a CA, the API otherwise (after {@link start}). */
  agentEndpoint(): { protocol: 'https:' | 'http:'; port: number } {
    const address = this.#agentApiAddress || this.#apiAddress;
    return { protocol: this.#agentApiAddress ? 'https:' : 'http:', port: Number(new URL(address).port) };
  }

  /** The context meshfile checks run against: the project's services as the registry sees them. */
  meshfileContext(): MeshfileContext {
    return meshfileContext(this.registry.view());
  }

  /** Snapshots (as sent) of the agents of a logical service, with what each has applied. */
  snapshotsOf(service: string): Array<{ container: string; containerName: string; appliedVersion: number; snapshot: unknown }> {
    return this.registry.workloads
      .filter((w) => named(w, service))
      .map((w) => ({
        container: w.container,
        containerName: w.containerName,
        appliedVersion: this.registry.agent(w.container).ackedVersion,
        snapshot: this.hub.snapshot(w.container) ?? null,
      }));
  }

  /**
   * Streams the live events of the agents of a service (logical service, compose service or
   * container name) into `out`; resolves when the tap is over. Zero agents: resolves at once.
   */
  tap(q: TapQuery, out: Writable): Promise<void> {
    const targets: TapTarget[] = [];
    for (const w of this.registry.workloads) {
      if (!named(w, q.service)) continue;
      const admin = this.registry.agents.get(w.container)?.report?.admin;
      if (admin && this.hub.connected(w.container)) targets.push({ containerName: w.containerName, admin });
    }
    return fanIn(targets, this.#tapKey, q, out, this.#o.log);
  }

  /** Prometheus http_sd: one target per agent admin endpoint. */
  sdTargets(): Array<{ targets: string[]; labels: Record<string, string> }> {
    const out: Array<{ targets: string[]; labels: Record<string, string> }> = [];
    for (const w of this.registry.workloads) {
      const admin = this.registry.agents.get(w.container)?.report?.admin;
      if (!admin) continue;
      out.push({
        targets: [admin],
        labels: { __metrics_path__: '/metrics', service: w.service, workload: w.workload, container: w.containerName, namespace: w.namespace },
      });
    }
    return out;
  }

  /** Stops discovery, streams and the API. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#debounceTimer);
    this.#o.source.close();
    this.injector?.close();
    this.faults.close();
    this.canaries.close();
    this.hub.close();
    this.#controlCert?.close();
    await this.agentApi?.close();
    await this.api.close();
  }
}
