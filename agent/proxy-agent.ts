import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { AckRequest, AgentReport, AgentSnapshot, AgentStats } from '../wire/types.ts';
import { AccessLog } from './access-log.ts';
import { Tap, tapAuthorized } from './tap.ts';
import { AdminServer } from './admin-server.ts';
import { AgentError } from './agent-error.ts';
import type { AgentOptions } from './agent-options.ts';
import { CaptureLink } from './capture-link.ts';
import { JwksCache } from './authn/jwks-cache.ts';
import { ConfigStore } from './config-store.ts';
import { ContainerCapture } from './container-capture.ts';
import { ControlClient } from './control-client.ts';
import { HttpProxy } from './http-proxy.ts';
import { IdleHeapTrim } from './idle-heap-trim.ts';
import { InboundLabels } from './inbound-labels.ts';
import type { Logger } from './logger.ts';
import { MeshListener } from './mesh-listener.ts';
import { MeshMetrics } from './mesh-metrics.ts';
import { PortWatcher } from './port-watcher.ts';
import type { ListenerBinding, ProxyContext } from './proxy-context.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { poolLayer } from './dispatch/pool-layer.ts';
import { TrafficMetrics } from './traffic-metrics.ts';
import { TrafficState } from './traffic-state.ts';
import { UpgradeProxy } from './upgrade-proxy.ts';
import { UpstreamPools } from './upstream-pools.ts';
import { AgentIdentity } from './mtls/agent-identity.ts';
import { InboundGuard } from './mtls/inbound-guard.ts';
import { MeshTls } from './mtls/mesh-tls.ts';
import { effectiveTracing } from './tracing/tracing-settings.ts';
import { TracingSwitch } from './tracing/tracing-switch.ts';

/** The line printed on stdout once every listener is up. */
export interface ListeningLine {
  msg: 'listening';
  admin: number;
  inbound: Record<string, number>;
  outbound: Record<string, number>;
}

const HEARTBEAT_MS = 10_000;
/**
 * How long an inbound connection waits for the agent's first snapshot (its ports' mTLS modes) before it
 * is refused: the control server sends it within a second of the agent's start.
 */
const FIRST_SNAPSHOT_HOLD_MS = 10_000;

/** `--control-ca FILE`: the control server's roots (PEM). */
async function readControlCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AgentError('AGENT_ERR_USAGE', `--control-ca ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function containerAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * The proxy process: listeners, data path, snapshot source (control stream or static file), admin
 * server, and in container mode the app-port watcher and the link to the capture manager.
 */
export class ProxyAgent {
  readonly #opts: AgentOptions;
  readonly #log: Logger;
  readonly #config: ConfigStore;
  readonly #jwks: JwksCache;
  readonly #ctx: ProxyContext;
  readonly #http: HttpProxy;
  readonly #tcp: TcpProxy;
  readonly #upgrade: UpgradeProxy;
  readonly #listeners: MeshListener[] = [];
  readonly #admin: AdminServer;
  readonly #identity: AgentIdentity;
  readonly #guard: InboundGuard;
  readonly #tracing: TracingSwitch;
  readonly #started = Date.now();
  #control: ControlClient | undefined;
  /** The roots of the last snapshot applied (the control server's certificate may chain to a new one). */
  #lastTrust: readonly string[] | undefined;
  #capture: ContainerCapture | undefined;
  #watcher: PortWatcher | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heapTrim: IdleHeapTrim | undefined;
  #up = false;
  #stopping = false;
  #draining: Promise<void> | undefined;
  #processPorts: Record<string, number> = {};
  #outboundPorts: Record<string, number> = {};

  constructor(opts: AgentOptions, log: Logger, onDrainOrder?: (graceMs: number) => void) {
    this.#opts = opts;
    this.#log = log;
    const metrics = new MeshMetrics(opts.metrics);
    const mesh = new MeshTls();
    this.#identity = new AgentIdentity(mesh, log.child({ component: 'identity' }));
    const pools = new UpstreamPools(mesh, opts.upstreamClient);
    const state: TrafficState = new TrafficState({ returned: (s, h) => traffic.returned(s, h) });
    const traffic = new TrafficMetrics(metrics.registry, opts.metrics, () => state.states().values());
    this.#jwks = new JwksCache({ log: (msg) => log.warn(msg), onFirstUse: () => metrics.watchJwt(this.#jwks.stats) });
    this.#config = new ConfigStore({ state, pool: poolLayer(pools), events: traffic, mtls: () => mesh.enabled, jwks: this.#jwks });
    // An agent whose first snapshot comes from the control server holds inbound connections for it.
    const first = opts.controlUrl && !opts.snapshotFile ? { applied: this.#config.applied, holdMs: FIRST_SNAPSHOT_HOLD_MS } : undefined;
    this.#guard = new InboundGuard(mesh, this.#config, first);
    this.#tracing = new TracingSwitch(log.child({ component: 'tracing' }));
    this.#ctx = {
      tables: this.#config,
      pools,
      metrics,
      traffic,
      state,
      accessLog: new AccessLog(opts.accessLog),
      tap: new Tap(),
      tracing: this.#tracing,
      inboundLabels: new InboundLabels(),
      appHost: opts.capture === 'iptables' ? '127.0.0.1' : opts.appHost,
      mesh,
      counters: {
        inbound: { requests: 0, connections: 0, activeConnections: 0 },
        outbound: { requests: 0, connections: 0, activeConnections: 0 },
      },
    };
    this.#http = new HttpProxy(this.#ctx);
    this.#tcp = new TcpProxy(this.#ctx);
    this.#upgrade = new UpgradeProxy(this.#ctx);
    this.#admin = new AdminServer({
      ready: () => this.ready(),
      metrics: () => this.#ctx.metrics.text(),
      config: () => this.#config.view(),
      stats: () => this.stats(),
      tap: (authorization, res) => {
        if (!tapAuthorized(authorization, this.#config.current?.snapshot.mesh.tapKeyHash)) return 'unauthorized';
        return this.#ctx.tap.listen(res) ? 'ok' : 'busy';
      },
    });
    if (opts.capture === 'iptables') {
      const link = new CaptureLink((graceMs) => onDrainOrder?.(graceMs));
      this.#capture = new ContainerCapture(link, (host, port, binding) => this.#open(host, port, binding));
    }
  }

  async #open(host: string, port: number, binding: ListenerBinding): Promise<MeshListener> {
    const counters = this.#ctx.counters[binding.direction];
    const guard = binding.direction === 'inbound' ? this.#guard : undefined;
    const l = new MeshListener({ host, port, binding, http: this.#http, tcp: this.#tcp, upgrade: this.#upgrade, counters, guard });
    await l.listen();
    this.#listeners.push(l);
    return l;
  }

  /** Opens everything; resolves with the listening line (not yet printed). */
  async start(): Promise<ListeningLine> {
    const o = this.#opts;
    const c = this.#ctx.counters;
    this.#heapTrim = new IdleHeapTrim({ activity: () => c.inbound.requests + c.inbound.connections + c.outbound.requests + c.outbound.connections });
    const container = o.capture === 'iptables';
    if (o.identityDir) {
      this.#identity.useStatic(o.identityDir);
      this.#ctx.metrics.watchTls(this.#ctx.mesh);
    }
    await this.#applyTracing(undefined);
    const admin = await this.#admin.listen(o.adminPort, container ? '0.0.0.0' : o.bind);
    for (const f of o.inbound) {
      const l = await this.#open(o.bind, f.listenPort, { direction: 'inbound', port: f.appPort });
      this.#processPorts[String(f.appPort)] = l.port;
    }
    for (const f of o.outbound) {
      const l = await this.#open(o.bind, f.listenPort, { direction: 'outbound', port: f.port, serviceHost: f.host });
      this.#outboundPorts[`${f.host}:${f.port}`] = l.port;
    }
    if (o.snapshotFile) {
      let value: unknown;
      try {
        value = JSON.parse(await readFile(o.snapshotFile, 'utf8'));
      } catch (err) {
        throw new AgentError('AGENT_ERR_SNAPSHOT_FILE', o.snapshotFile, { cause: err });
      }
      const ack = await this.applySnapshot(value);
      if (!ack.ok) throw new AgentError('AGENT_ERR_SNAPSHOT_INVALID', ack.error ?? 'rejected');
    }
    if (this.#capture) {
      this.#watcher = new PortWatcher(async (ports) => {
        await this.#capture!.setAppPorts(ports).catch((err) => this.#log.error('inbound capture failed', { err }));
        void this.#report();
      }, () => new Set([this.#admin.port, ...this.#listeners.map((l) => l.port)]));
      await this.#watcher.start();
    }
    this.#up = true;
    if (o.controlUrl && !o.snapshotFile) {
      const controlCa = o.controlCa ?? (o.controlCaFile ? await readControlCa(o.controlCaFile) : undefined);
      this.#control = new ControlClient({
        url: o.controlUrl,
        // The injector's roots, and the snapshots' (a CA rotation brings a new root before it signs).
        roots: controlCa ? () => [controlCa, ...(this.#lastTrust ?? [])] : undefined,
        token: o.token,
        container: o.container!,
        credential: () => this.#identity.material(),
        log: this.#log.child({ component: 'control' }),
        onSnapshot: (v) => this.applySnapshot(v),
      });
      this.#control.start();
      void this.#report();
      this.#heartbeat = setInterval(() => void this.#report(), HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
    const cap = this.#capture?.ports();
    return {
      msg: 'listening',
      admin,
      inbound: { ...this.#processPorts, ...cap?.inbound },
      outbound: { ...this.#outboundPorts, ...cap?.outbound },
    };
  }

  /** Validates, builds off to the side, swaps, and (container mode) updates capture; returns the ACK. */
  async applySnapshot(value: unknown): Promise<AckRequest> {
    // A CA behind the control server (trust in the snapshot): get a certificate before the table
    // is built, so that meshed endpoints are dialled with mTLS from the first request.
    const trust = (value as Partial<AgentSnapshot> | null)?.trust;
    if (trust?.bundle?.length && this.#control && !this.#identity.active) {
      const control = this.#control;
      this.#identity.useCa((csr) => control.csr(csr), () => void this.#report());
      this.#ctx.metrics.watchTls(this.#ctx.mesh);
    }
    const prepared = this.#config.prepare(value);
    if (prepared.kind === 'invalid') {
      this.#log.warn('snapshot rejected', { version: prepared.ack.version, error: prepared.ack.error });
      return prepared.ack;
    }
    if (prepared.kind === 'same') return prepared.ack;
    const { table } = prepared;
    const first = this.#config.current === null;
    // Tracing first: the tracer module loads on first use, and the table in force makes the agent
    // ready; requests that came between the two went untraced.
    this.#tracing.setIdentity(table.snapshot.self, this.#opts.capture === 'iptables' ? containerAddress() : this.#opts.bind);
    await this.#applyTracing(table.snapshot);
    this.#config.commit(table);
    this.#ctx.accessLog.setDirections(table.snapshot.mesh.accessLog);
    this.#ctx.metrics.setOverrides(table.snapshot.mesh.metrics);
    if (table.snapshot.trust) {
      this.#identity.updateTrust(table.snapshot.trust);
      this.#lastTrust = table.snapshot.trust.bundle;
    }
    this.#ctx.state.retain(table.clusterKeys, table.bucketKeys);
    this.#ctx.pools.sync(table.pools);
    if (table.problems.length) this.#log.warn('snapshot parts not applied', { version: table.version, problems: table.problems });
    this.#ctx.metrics.configVersion(table.version);
    this.#log.info('snapshot applied', { version: table.version, services: table.services.size });
    if (this.#capture) {
      try {
        await this.#capture.setTable(table);
      } catch (err) {
        const error = `capture rules: ${(err as Error).message}`;
        this.#config.fail(error);
        return { version: table.version, ok: false, error };
      }
    }
    if (first) void this.#report();
    return { version: table.version, ok: true };
  }

  /** Puts the tracing settings in force: the command line's, or the snapshot's (docs/observability.md). */
  async #applyTracing(snapshot: AgentSnapshot | undefined): Promise<void> {
    await this.#tracing.apply(effectiveTracing(this.#opts.capture === 'iptables', this.#opts.tracing, snapshot?.mesh.tracing));
    if (this.#tracing.used) this.#ctx.metrics.watchTracing(() => this.#tracing.counters());
  }

  /** GET /ready. */
  ready(): { ready: boolean; reason?: string } {
    if (this.#stopping) return { ready: false, reason: 'draining' };
    if (!this.#up) return { ready: false, reason: 'listeners not up' };
    if (!this.#config.current) return { ready: false, reason: 'no snapshot applied yet' };
    if (this.#identity.active && !this.#ctx.mesh.ready) return { ready: false, reason: 'no workload certificate yet' };
    if (this.#capture && !this.#capture.installed) {
      return { ready: false, reason: `capture not installed${this.#capture.lastError ? `: ${this.#capture.lastError}` : ''}` };
    }
    return { ready: true };
  }

  #appPorts(): number[] {
    if (this.#capture) return this.#capture.appPorts;
    return this.#opts.inbound.map((f) => f.appPort).sort((a, b) => a - b);
  }

  /** GET /stats. */
  stats(): AgentStats {
    const c = this.#ctx.counters;
    return {
      uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
      configVersion: this.#config.version,
      inbound: { ...c.inbound },
      outbound: { ...c.outbound },
      appPorts: this.#appPorts(),
      captureInstalled: this.#capture?.installed ?? false,
    };
  }

  #report(): Promise<void> {
    if (!this.#control) return Promise.resolve();
    const r = this.ready();
    const host = this.#opts.capture === 'iptables' ? containerAddress() : this.#opts.bind;
    const report: AgentReport = {
      ports: this.#appPorts(),
      ready: r.ready,
      configVersion: this.#config.version,
      admin: `${host}:${this.#admin.port}`,
    };
    if (r.reason) report.reason = r.reason;
    return this.#control.report(report);
  }

  /** Hands the queued access log lines to stdout now (for `process.on('exit')`: synchronous). */
  flushAccessLog(): void {
    this.#ctx.accessLog.flush();
  }

  /** Stops accepting, finishes in-flight requests (≤ graceMs), then closes everything. Idempotent. */
  drain(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    this.#draining ??= (async () => {
      clearInterval(this.#heartbeat);
      this.#heapTrim?.close();
      this.#watcher?.close();
      const told = this.#report();
      await Promise.all(this.#listeners.map((l) => l.close(graceMs)));
      await Promise.race([told, new Promise((r) => setTimeout(r, 500))]);
      await this.#control?.close();
      await this.#ctx.pools.destroy();
      this.#identity.close();
      this.#jwks.close();
      this.#ctx.state.close();
      await this.#tracing.close();
      this.#ctx.tap.close();
      await this.#admin.close();
      await this.#ctx.accessLog.close();
    })();
    return this.#draining;
  }
}
