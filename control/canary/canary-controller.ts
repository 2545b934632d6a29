/**
 * The canary controller: runs each Flagger Canary of the meshfile in force, one analysis tick per
 * `analysis.interval` (canary-analysis.ts), with Flagger's built-in metrics read from the canary
 * replicas' own agents (canary-metrics.ts), and tells the compiler the weights it reached (emits
 * `change`; the control server recompiles). With a `stateFile`, each Canary's state is saved at every
 * change and taken up again by a restarted control server (the routing at once; the analysis at its
 * next tick, from the start if the canary containers changed meanwhile). docs/canary.md.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { durationMs } from '../meshfile/duration.ts';
import type { MeshObject, MeshSpec } from '../meshfile/mesh-spec.ts';
import type { CanaryMetricSpec, CanarySpec } from '../meshfile/canary-spec.ts';
import { hostLookup } from '../meshfile/host-resolver.ts';
import { indexMeshSpec } from '../compile/routes.ts';
import { BUILTIN_METRICS } from '../meshfile/canary-checks.ts';
import type { RegistryView } from '../registry/endpoint-registry.ts';
import { meshfileContext } from '../compile/snapshot.ts';
import { canarySubset, isCanaryReplica, primarySubset, type CanaryRouting } from '../compile/canary-routes.ts';
import { analysisIntervalMs, initialState, maxWeight, readyEnough, tick, type CanaryPhase, type CanaryState, type HookType } from './canary-analysis.ts';
import { callWebhook } from './canary-webhook.ts';
import { checkMetric, checkTemplateMetric, delta, parseSample, sum, type MetricCheck, type MetricSample } from './canary-metrics.ts';
import type { CanaryStatusView } from '../../wire/types.ts';
import { renderQuery, runPrometheusQuery } from './metric-template.ts';
import { withSessionCookies } from './session-cookies.ts';
import { alertFields, alertFor, alertRequest, initializedAlert, postAlert, wants, type Alert } from './canary-alerts.ts';

/** Flagger's default metric interval. */
const DEFAULT_METRIC_INTERVAL = '1m';
const DEFAULT_METRIC_INTERVAL_MS = durationMs(DEFAULT_METRIC_INTERVAL);
/** Samples kept per canary (enough for a metric interval of 100 analysis intervals). */
const MAX_SAMPLES = 100;
const SCRAPE_TIMEOUT_MS = 3000;

export interface CanaryControllerOptions {
  spec: () => MeshSpec | null | undefined;
  view: () => RegistryView;
  /** The agent's admin address (`host:port`) of a container, when it reported one. */
  adminOf: (container: string) => string | undefined;
  /** The container's agent is connected, ready and runs a snapshot. */
  readyOf: (container: string) => boolean;
  /** GETs an agent's `/metrics` (default: fetch over HTTP). */
  fetchMetrics?: (admin: string) => Promise<string>;
  /**
   * Where MetricTemplates that name no address send their queries (Flagger's --metrics-server):
   * the project's bundled Prometheus in container mode; absent: such a template's check fails.
   */
  metricsServer?: string;
  /** Runs a MetricTemplate's query (default: runPrometheusQuery, over HTTP). */
  queryPrometheus?: typeof runPrometheusQuery;
  now?: () => number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Named in alerts as Flagger's cluster name: the compose project. */
  cluster?: string;
  /** Overrides every Canary's analysis interval (tests). */
  intervalMs?: number;
  /** Where the Canaries' states are kept across restarts of the control server; absent: memory only. */
  stateFile?: string;
}

/** The state file's contents: by target service key, the Canary's name and state. */
interface SavedStates {
  canaries: Record<string, { name: string; state: CanaryState }>;
}

interface Sample {
  t: number;
  byContainer: Map<string, MetricSample>;
}

interface Running {
  doc: MeshObject<CanarySpec>;
  target: { name: string; namespace: string };
  state: CanaryState;
  samples: Sample[];
  timer: NodeJS.Timeout;
  busy: boolean;
  /** The confirm-* webhook that held the analysis in this tick has muteAlert. */
  gateMuted: boolean;
}

/** What a webhook's `checksum` says: the canary replicas and the Canary's spec (Flagger: the tracked configs and spec). */
function checksumOf(revision: string, spec: CanarySpec): string {
  return createHash('sha256').update(revision).update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

async function fetchMetricsText(admin: string): Promise<string> {
  const res = await fetch(`http://${admin}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  return res.text();
}

/**
 * A tick made an event (Flagger records one for each step it takes): the phase, the weight, the
 * failed checks, the iterations or what the analysis says it does changed.
 */
function isEvent(before: CanaryState, after: CanaryState): boolean {
  return (
    after.phase !== before.phase ||
    after.canaryWeight !== before.canaryWeight ||
    after.failedChecks !== before.failedChecks ||
    after.iterations !== before.iterations ||
    after.message !== before.message
  );
}

export class CanaryController extends EventEmitter {
  readonly #o: CanaryControllerOptions;
  /** By target service key. */
  readonly #running = new Map<string, Running>();
  /** States read from the state file, until their Canary runs again. */
  readonly #saved: Map<string, { name: string; state: CanaryState }>;
  #closed = false;

  constructor(o: CanaryControllerOptions) {
    super();
    this.#o = o;
    this.#saved = new Map(Object.entries(this.#load()?.canaries ?? {}));
  }

  #load(): SavedStates | undefined {
    if (!this.#o.stateFile) return undefined;
    try {
      return JSON.parse(readFileSync(this.#o.stateFile, 'utf8')) as SavedStates;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#o.log?.('canary state unreadable, starting afresh', { file: this.#o.stateFile, error: (err as Error).message });
      return undefined;
    }
  }

  /** Writes every running Canary's state (a new file renamed over the old, so a crash leaves one whole). */
  #save(): void {
    const file = this.#o.stateFile;
    if (!file) return;
    const out: SavedStates = { canaries: {} };
    for (const [key, r] of this.#running) out.canaries[key] = { name: r.doc.name, state: r.state };
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(out));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.#o.log?.('canary state not saved', { file, error: (err as Error).message });
    }
  }

  /** Starts, keeps or stops the analysis of each Canary after the meshfile or the workloads changed. */
  sync(): void {
    if (this.#closed) return;
    const spec = this.#o.spec();
    const view = this.#o.view();
    const lookup = hostLookup(meshfileContext(view));
    const wanted = new Map<string, { doc: MeshObject<CanarySpec>; target: { name: string; namespace: string } }>();
    // The compiler's index: the same Canary owns a target's routes and its analysis.
    for (const [key, doc] of spec ? indexMeshSpec(spec, lookup).canary : []) {
      const ref = lookup(doc.spec.targetRef.name, doc.namespace)!;
      wanted.set(key, { doc, target: { name: ref.name, namespace: ref.namespace } });
    }
    let changed = false;
    let dirty = false;
    for (const [key, r] of this.#running) {
      const w = wanted.get(key);
      if (w && w.doc.name === r.doc.name && analysisIntervalMs(w.doc.spec) === analysisIntervalMs(r.doc.spec)) {
        r.doc = w.doc;
        continue;
      }
      clearInterval(r.timer);
      this.#running.delete(key);
      dirty = true;
      changed ||= r.state.canaryWeight > 0 || r.state.abTesting || r.state.mirrored || r.state.cookies !== undefined;
    }
    for (const [key, w] of wanted) {
      if (this.#running.has(key)) continue;
      const every = this.#o.intervalMs ?? analysisIntervalMs(w.doc.spec);
      const saved = this.#saved.get(key);
      this.#saved.delete(key);
      const state = saved?.name === w.doc.name ? saved.state : initialState(this.#now());
      const r: Running = { ...w, state, samples: [], busy: false, gateMuted: false, timer: setInterval(() => void this.#tick(key), every) };
      r.timer.unref();
      this.#running.set(key, r);
      dirty = true;
      if (!saved || saved.name !== w.doc.name) void this.#alert(r, initializedAlert(w.doc.spec));
      this.#o.log?.('canary watching', { canary: w.doc.name, target: w.target.name, intervalMs: every, ...(saved && { resumed: state.phase, canaryWeight: state.canaryWeight }) });
      changed ||= state.canaryWeight > 0 || state.abTesting || state.mirrored || state.cookies !== undefined;
    }
    if (dirty) this.#save();
    if (changed) this.emit('change');
  }

  /** The routing each target gets (service key → weights). */
  routing(): ReadonlyMap<string, CanaryRouting> {
    const out = new Map<string, CanaryRouting>();
    for (const [key, r] of this.#running) {
      out.set(key, { canaryWeight: r.state.canaryWeight, abTesting: r.state.abTesting, mirrored: r.state.mirrored, ...(r.state.cookies && { cookies: r.state.cookies }) });
    }
    return out;
  }

  /** Status of every Canary, for `mesh canary`. */
  list(): CanaryStatusView[] {
    const view = this.#o.view();
    return [...this.#running.values()]
      .map((r) => {
        const members = this.#members(view, r.target);
        const canaries = members.filter((w) => isCanaryReplica(w.labels));
        return {
          name: r.doc.name,
          namespace: r.doc.namespace,
          target: r.target.name,
          phase: r.state.phase,
          canaryWeight: r.state.canaryWeight,
          primaryWeight: 100 - r.state.canaryWeight,
          maxWeight: maxWeight(r.doc.spec),
          abTesting: r.state.abTesting,
          mirrored: r.state.mirrored,
          failedChecks: r.state.failedChecks,
          threshold: r.doc.spec.analysis.threshold,
          iterations: r.state.iterations,
          lastTransitionTime: new Date(r.state.lastTransitionTime).toISOString(),
          message: r.state.message,
          primary: { subset: primarySubset(r.target.name), replicas: members.length - canaries.length },
          canary: { subset: canarySubset(r.target.name), replicas: canaries.length, containers: canaries.map((w) => w.containerName) },
          checks: r.state.checks,
          ...(r.doc.spec.analysis.sessionAffinity && {
            sessionAffinity: {
              ...(r.state.cookies?.canary && { canaryCookie: r.state.cookies.canary }),
              ...(r.state.cookies?.previous && { previousCookie: r.state.cookies.previous }),
              ...(r.state.cookies?.primary && { primaryCookie: r.state.cookies.primary }),
            },
          }),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Runs one tick of every Canary now (tests, and `mesh canary --tick`). */
  async tickAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((k) => this.#tick(k)));
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#running.values()) clearInterval(r.timer);
    this.#running.clear();
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  #members(view: RegistryView, target: { name: string; namespace: string }) {
    return view.workloads.filter((w) => w.service === target.name && w.namespace === target.namespace && w.running);
  }

  async #tick(key: string): Promise<void> {
    const r = this.#running.get(key);
    if (!r || r.busy || this.#closed) return;
    r.busy = true;
    r.gateMuted = false;
    try {
      const view = this.#o.view();
      const canaries = this.#members(view, r.target).filter((w) => isCanaryReplica(w.labels));
      const revision = canaries.map((w) => w.container).sort().join(',');
      if (revision !== r.state.revision) r.samples = [];
      const a = r.doc.spec.analysis;
      const canaryReady = readyEnough(canaries.filter((w) => this.#o.readyOf(w.container)).length, canaries.length, a.canaryReadyThreshold);
      const primaries = this.#members(view, r.target).filter((w) => !isCanaryReplica(w.labels));
      // No primary replicas is allowed (everything goes to the canary): nothing to wait for.
      const primaryReady = primaries.length === 0 || readyEnough(primaries.filter((w) => this.#o.readyOf(w.container)).length, primaries.length, a.primaryReadyThreshold);
      const now = this.#now();
      // Every phase that checks metrics takes a fresh sample first.
      if (canaryReady && revision === r.state.revision && (r.state.phase === 'Progressing' || r.state.phase === 'WaitingPromotion')) {
        r.samples.push(await this.#scrape(canaries.map((w) => w.container), r.target.name, now));
        if (r.samples.length > MAX_SAMPLES) r.samples.shift();
      }
      if (this.#closed || this.#running.get(key) !== r) return;
      const before = r.state;
      const analysing = r.state.phase === 'Progressing' || r.state.phase === 'WaitingPromotion';
      const checking = analysing && (r.state.canaryWeight > 0 || r.state.iterations > 0 || r.state.mirrored);
      if (checking && r.samples.length < 2 && revision === r.state.revision && canaryReady) {
        // Taken up from the state file: the checks need a sample from before this one.
        r.state = { ...r.state, message: 'taking a first metrics sample after the control server restarted' };
        return;
      }
      const canaryWorkloads = [...new Set(canaries.map((w) => w.workload))];
      const next = await tick(r.doc.spec, r.state, { now, revision, canaryReady, primaryReady, check: () => this.#checks(r, now, canaryWorkloads), hooks: (type, phase) => this.#hooks(r, revision, type, phase) });
      if (this.#closed || this.#running.get(key) !== r) return;
      r.state = withSessionCookies(r.doc.spec.analysis.sessionAffinity, before, next);
      if (r.state !== before) this.#save();
      if (r.state.phase !== before.phase || r.state.canaryWeight !== before.canaryWeight || r.state.failedChecks !== before.failedChecks) {
        this.#o.log?.('canary', { canary: r.doc.name, target: r.target.name, phase: r.state.phase, canaryWeight: r.state.canaryWeight, failedChecks: r.state.failedChecks, message: r.state.message });
      }
      if (isEvent(before, r.state)) await this.#event(r, revision, before);
      const alert = alertFor(r.doc.spec, before, r.state, r.gateMuted);
      if (alert) await this.#alert(r, alert);
      if (r.state.canaryWeight !== before.canaryWeight || r.state.abTesting !== before.abTesting || r.state.mirrored !== before.mirrored || r.state.cookies !== before.cookies) this.emit('change');
    } catch (err) {
      this.#o.log?.('canary tick failed', { canary: r.doc.name, error: (err as Error).message });
    } finally {
      r.busy = false;
    }
  }

  async #scrape(containers: string[], service: string, t: number): Promise<Sample> {
    const fetchText = this.#o.fetchMetrics ?? fetchMetricsText;
    const byContainer = new Map<string, MetricSample>();
    await Promise.all(
      containers.map(async (c) => {
        const admin = this.#o.adminOf(c);
        if (!admin) return;
        try {
          byContainer.set(c, parseSample(await fetchText(admin), service));
        } catch (err) {
          this.#o.log?.('canary: metrics unavailable', { container: c, error: (err as Error).message });
        }
      }),
    );
    return { t, byContainer };
  }

  /**
   * Sends the tick's event to the Canary's `event` webhooks, in order, as Flagger sends its events
   * (within the tick; a failure is logged and changes nothing). Warning: a failed check or the
   * analysis failed; else Normal.
   */
  async #event(r: Running, revision: string, before: CanaryState): Promise<void> {
    const hooks = (r.doc.spec.analysis.webhooks ?? []).filter((w) => w.type === 'event');
    if (hooks.length === 0) return;
    const s = r.state;
    const warning = s.failedChecks > before.failedChecks || (s.phase === 'Failed' && before.phase !== 'Failed');
    const payload = {
      name: r.doc.name,
      namespace: r.doc.namespace,
      phase: s.phase,
      checksum: checksumOf(revision, r.doc.spec),
      metadata: { eventMessage: s.message, eventType: warning ? 'Warning' : 'Normal', timestamp: String(this.#now()) },
    };
    for (const w of hooks) {
      const result = await callWebhook(w, payload);
      if (!result.ok) this.#o.log?.('canary event webhook', { canary: r.doc.name, webhook: w.name, error: result.error });
    }
  }

  /**
   * Posts an alert to each of the Canary's `analysis.alerts` whose severity wants it, through its
   * AlertProvider (within the tick, as Flagger alerts; a failure is logged and changes nothing).
   */
  async #alert(r: Running, alert: Alert): Promise<void> {
    const entries = (r.doc.spec.analysis.alerts ?? []).filter((a) => wants(a.severity, alert.severity));
    if (entries.length === 0) return;
    const fields = alertFields(r.doc, alert, this.#o.cluster);
    for (const a of entries) {
      const namespace = a.providerRef.namespace || r.doc.namespace;
      const provider = this.#o.spec()?.alertProviders?.find((p) => p.name === a.providerRef.name && p.namespace === namespace);
      const fail = (error: string) => this.#o.log?.('canary alert not sent', { canary: r.doc.name, alert: a.name, error });
      if (!provider) {
        fail(`no AlertProvider ${namespace}/${a.providerRef.name}`);
        continue;
      }
      if (!provider.spec.address) {
        fail(`AlertProvider ${namespace}/${a.providerRef.name} has no address (secretRef is not read)`);
        continue;
      }
      const result = await postAlert(provider.spec, alertRequest(provider.spec, r.doc, alert.message, fields, alert.severity));
      if (!result.ok) fail(`${provider.spec.type} ${provider.spec.address}: ${result.error}`);
    }
  }

  /** Calls the Canary's webhooks of `type` in order (canary-analysis.ts, TickInput.hooks). */
  async #hooks(r: Running, revision: string, type: HookType, phase: CanaryPhase): Promise<boolean | undefined> {
    const list = (r.doc.spec.analysis.webhooks ?? []).filter((w) => (w.type || 'rollout') === type);
    if (list.length === 0) return undefined;
    const payload = { name: r.doc.name, namespace: r.doc.namespace, phase, checksum: checksumOf(revision, r.doc.spec) };
    for (const w of list) {
      const result = await callWebhook(w, payload);
      if (!result.ok) this.#o.log?.('canary webhook', { canary: r.doc.name, webhook: w.name, type, error: result.error });
      if (!result.ok && type.startsWith('confirm-')) r.gateMuted = w.muteAlert === true;
      if (type === 'rollback') {
        if (result.ok) return true;
      } else if (!result.ok) return false;
    }
    return type !== 'rollback';
  }

  /**
   * Each metric in order: a custom one (templateRef) runs its MetricTemplate's query; a built-in one
   * is computed over its interval from the samples kept.
   */
  async #checks(r: Running, now: number, canaryWorkloads: string[]): Promise<MetricCheck[]> {
    const current = r.samples.at(-1);
    const out: MetricCheck[] = [];
    for (const m of r.doc.spec.analysis.metrics ?? []) {
      if (m.templateRef) {
        out.push(checkTemplateMetric(m, await this.#runTemplate(r, m, canaryWorkloads)));
        continue;
      }
      // Flagger's deprecated in-line PromQL: the query as written, against the default Prometheus.
      if (m.query) out.push(checkTemplateMetric(m, await this.#runInline(m.query)));
      if (!BUILTIN_METRICS.has(m.name)) continue;
      const window = m.interval ? durationMs(m.interval) : DEFAULT_METRIC_INTERVAL_MS;
      // The newest earlier sample at least a window old, else the oldest (the analysis is younger).
      const earlier = r.samples.slice(0, -1);
      const base = earlier.filter((s) => s.t <= now - window).at(-1) ?? earlier[0];
      const deltas = [...(current?.byContainer ?? new Map<string, MetricSample>())].map(([c, v]) => delta(v, base?.byContainer.get(c)));
      out.push(checkMetric(m, sum(deltas)));
    }
    return out;
  }

  /** An in-line query's value (not rendered, as Flagger runs it), or why there is none. */
  async #runInline(query: string): Promise<{ value: number | undefined } | { error: string }> {
    const address = this.#o.metricsServer;
    if (!address) return { error: 'an in-line query needs the default Prometheus (mesh up --observability)' };
    try {
      return { value: await (this.#o.queryPrometheus ?? runPrometheusQuery)(address, query, {}) };
    } catch (err) {
      return { error: `query failed: ${(err as Error).message}` };
    }
  }

  /** A custom metric's value, or why there is none. */
  async #runTemplate(r: Running, m: CanaryMetricSpec, canaryWorkloads: string[]): Promise<{ value: number | undefined } | { error: string }> {
    const ref = m.templateRef!;
    const namespace = ref.namespace || r.doc.namespace;
    const template = this.#o.spec()?.metricTemplates?.find((t) => t.name === ref.name && t.namespace === namespace);
    if (!template) return { error: `no MetricTemplate ${namespace}/${ref.name}` };
    const address = template.spec.provider.address ?? this.#o.metricsServer;
    if (!address) return { error: `MetricTemplate ${namespace}/${ref.name} names no provider.address and there is no default Prometheus` };
    const spec = r.doc.spec;
    let query: string;
    try {
      query = renderQuery(template.spec.query, {
        name: r.doc.name,
        namespace: r.doc.namespace,
        // Flagger's target is the canary Deployment, whose pods' destination_workload it is; here the
        // canary replicas' compose service, when they are of one.
        target: canaryWorkloads.length === 1 ? canaryWorkloads[0]! : spec.targetRef.name,
        service: spec.service?.name ?? spec.targetRef.name,
        ingress: spec.ingressRef?.name ?? spec.targetRef.name,
        interval: m.interval ?? DEFAULT_METRIC_INTERVAL,
        variables: m.templateVariables ?? {},
      });
    } catch (err) {
      return { error: `query render error: ${(err as Error).message}` };
    }
    try {
      return { value: await (this.#o.queryPrometheus ?? runPrometheusQuery)(address, query, { insecureSkipVerify: template.spec.provider.insecureSkipVerify }) };
    } catch (err) {
      return { error: `query failed: ${(err as Error).message}` };
    }
  }
}
