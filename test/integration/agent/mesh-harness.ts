/**
 * A small mesh on loopback for the mTLS suites: a real control server (fixed workload source, local
 * CA in a temp dir, optional meshfile), and real agent processes in process mode. Each workload gets
 * its own loopback address, as a container gets its own IP: the app listens on 127.0.0.1:<port>, its
 * agent's inbound listener on <workload address>:<port>, which is the endpoint the control server
 * hands the other agents, so a client agent reaches the app only through the server agent (the
 * role iptables plays in containers).
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { ConfigStore } from '../../../control/config/config-store.ts';
import { ControlServer } from '../../../control/control-server.ts';
import { DEFAULT_NAMESPACE, namespaceOf, type Workload } from '../../../control/discovery/labels.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import type { MeshfileContext } from '../../../control/meshfile/host-resolver.ts';
import type { MeshSpec } from '../../../control/meshfile/mesh-spec.ts';
import type { AgentConfigView } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import { FixedSource, workload } from '../../support/workloads.ts';
import { startAgent, type RunningAgent } from './agent-harness.ts';


/** One workload of the mesh: its container id, loopback address and agent token. */
export interface MeshWorkload {
  name: string;
  address: string;
  labels?: Record<string, string>;
}

export interface MeshOptions {
  workloads: MeshWorkload[];
  /** Workloads whose agents may connect once `setWorkloads` adds them (tokens issued up front). */
  spare?: MeshWorkload[];
  meshfile?: string;
  leafTtlMs?: number;
  /** The control server's canary analysis interval (tests drive ticks with `server.canaries.tickAll()`). */
  canaryIntervalMs?: number;
}

/** As discovery makes it: the `dockmesh.namespace` label sets the namespace. */
const toWorkload = (w: MeshWorkload): Workload =>
  workload(w.name, { container: w.name, addresses: { lo: w.address }, labels: w.labels ?? {}, namespace: namespaceOf(w.labels ?? {}) ?? DEFAULT_NAMESPACE });

export class LoopbackMesh {
  readonly dir = mkdtempSync(join(tmpdir(), 'dockmesh-mtls-it-'));
  readonly #addresses = new Map<RunningAgent, string>();
  readonly agents = new Map<string, RunningAgent>();
  /** Issued leaves: container → count. */
  readonly issued = new Map<string, number>();
  server!: ControlServer;
  ca!: LocalCa;
  config!: ConfigStore<MeshSpec, MeshfileContext>;
  url = '';
  /** The agents' TLS listener (`https:`) and the roots its certificate chains to (a PEM file). */
  agentUrl = '';
  controlCaFile = '';
  #source!: FixedSource;
  #all: MeshWorkload[] = [];

  async start(o: MeshOptions): Promise<this> {
    const ca = await LocalCa.open(join(this.dir, 'ca'));
    this.ca = ca;
    this.#all = [...o.workloads, ...(o.spare ?? [])];
    const source = new FixedSource(o.workloads.map(toWorkload));
    this.#source = source;
    let server: ControlServer | undefined;
    this.config = new ConfigStore<MeshSpec, MeshfileContext>('mesh.yaml', (text, file, ctx) => loadMeshfile(text, file, ctx), () => server?.meshfileContext());
    server = new ControlServer({
      project: 'proj',
      apiToken: 'cli-token',
      source,
      ca,
      config: this.config,
      leafTtlMs: o.leafTtlMs,
      staticAgentTokens: new Map(this.#all.map((w) => [w.name, `token-${w.name}`])),
      canaryIntervalMs: o.canaryIntervalMs,
      log: (msg, f) => {
        if (msg === 'certificate issued') this.issued.set(String(f?.container), (this.issued.get(String(f?.container)) ?? 0) + 1);
      },
    });
    this.server = server;
    this.url = await server.start('127.0.0.1', 0);
    this.agentUrl = server.status().control.agentApi!;
    this.controlCaFile = join(this.dir, 'control-ca.pem');
    writeFileSync(this.controlCaFile, ca.trustBundle().join(''));
    if (o.meshfile) this.setMeshfile(o.meshfile);
    return this;
  }

  /** Replaces the workloads the control server sees (as containers starting and stopping would). */
  setWorkloads(names: readonly string[]): void {
    this.#source.set(names.map((n) => toWorkload(this.#all.find((w) => w.name === n)!)));
  }

  /** Applies a meshfile; throws with its diagnostics when it is not valid. */
  setMeshfile(text: string): void {
    this.config.apply(text);
    const v = this.config.view();
    if (!v.valid || v.errors.length) throw new Error(`meshfile: ${JSON.stringify(v.errors)}`);
  }

  /** Starts the agent of workload `w` with extra flags (`--inbound`, `--outbound`). */
  async agent(w: MeshWorkload, flags: string[]): Promise<RunningAgent> {
    const a = await startAgent(['--control-url', this.agentUrl, '--control-ca', this.controlCaFile, '--token', `token-${w.name}`, '--container', w.name, '--bind', w.address, '--access-log', 'on', ...flags]);
    this.agents.set(w.name, a);
    this.#addresses.set(a, w.address);
    return a;
  }

  /** GET on the agent's admin API (it listens on the workload's address in process mode). */
  async admin(a: RunningAgent, path: string): Promise<{ status: number; text: string }> {
    const r = await fetch(`http://${this.#addresses.get(a)}:${a.ports.admin}${path}`);
    return { status: r.status, text: await r.text() };
  }

  /** Waits until the agent is ready (snapshot applied, certificate held). */
  async ready(a: RunningAgent, timeoutMs = 15_000): Promise<void> {
    await waitFor(async () => (await this.admin(a, '/ready')).status === 200, timeoutMs, 'agent ready');
  }

  /** Waits until the agent's applied snapshot satisfies `cond`. */
  async untilConfig(a: RunningAgent, cond: (v: AgentConfigView) => boolean, what: string): Promise<void> {
    await waitFor(async () => cond(JSON.parse((await this.admin(a, '/config')).text) as AgentConfigView), 10_000, what);
  }

  /** Waits until each client agent sees an endpoint of `service` as meshed (its agent ready with a certificate). */
  async untilMeshed(clients: readonly RunningAgent[], service: string): Promise<void> {
    for (const a of clients) {
      await this.untilConfig(a, (v) => v.snapshot?.services.find((s) => s.name === service)?.endpoints.some((e) => e.meshed) ?? false, `meshed ${service} endpoint`);
    }
  }

  async metrics(a: RunningAgent): Promise<string> {
    return (await this.admin(a, '/metrics')).text;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `n` GETs to `host` through `client`'s outbound listener (bound on `address`); counts who answered:
 * the `x-app` header of a 200, else the status.
 */
export async function callsThrough(client: RunningAgent, address: string, host: string, n: number, agent: http.Agent): Promise<Record<string, number>> {
  const port = Object.values(client.ports.outbound)[0]!;
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: address, port, path: `/orders/${i}`, headers: { host }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['x-app']) : String(res.statusCode)));
      });
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
    seen[who] = (seen[who] ?? 0) + 1;
  }
  return seen;
}

/** An answer of {@link sendRequest}. */
export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request on loopback (Host `api` unless `headers` say otherwise); `path` is sent exactly as given. */
export function sendRequest(host: string, port: number, path: string, o: { method?: string; headers?: Record<string, string>; agent: http.Agent | false }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: o.method ?? 'GET', headers: { host: 'api', ...o.headers }, agent: o.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
