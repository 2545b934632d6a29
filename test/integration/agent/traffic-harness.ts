/**
 * Test support for the traffic-management suites: scripted upstream apps on port 0 whose behaviour
 * each test sets per path, one client agent process (`--snapshot`) in front of them, and helpers to
 * read its access log and metrics. Endpoints are unmeshed and dialled at the apps directly (one hop).
 */
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, request } from 'undici';
import type { EndpointSnapshot, ServiceSnapshot } from '../../../wire/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import type { RunningAgent } from './agent-harness.ts';

/** One request an app saw. */
export interface Hit {
  app: string;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What an app does with a request: answer, or take the request over. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string, app: ScriptedApp) => void;

/** Answers 200 with a small JSON body naming the app. */
export const ok: Behaviour = (req, res, body, app) => {
  const text = JSON.stringify({ app: app.name, url: req.url, body });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-app': app.name });
  res.end(text);
};

/** Answers `status` with a short body. */
export const status = (code: number): Behaviour => (_req, res, _b, app) => {
  res.writeHead(code, { 'content-type': 'text/plain', 'x-app': app.name });
  res.end(`${code} from ${app.name}`);
};

/** A node:http app whose answer is chosen per request by `behave` (default: 200). */
export class ScriptedApp {
  readonly name: string;
  readonly server: Server;
  readonly hits: Hit[] = [];
  readonly sockets = new Set<Socket>();
  behave: Behaviour = ok;
  port = 0;

  constructor(name: string) {
    this.name = name;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        this.hits.push({ app: this.name, method: req.method!, url: req.url!, headers: req.headers, body });
        this.behave(req, res, body, this);
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Hits whose URL starts with `prefix`. */
  seen(prefix: string): Hit[] {
    return this.hits.filter((h) => h.url.startsWith(prefix));
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** An unmeshed endpoint of `app` at a made-up address, dialled at the app. */
export function appEndpoint(app: ScriptedApp, address: string, port: number, labels: Record<string, string> = {}): EndpointSnapshot {
  return { container: `${app.name}-${address}`, workload: app.name.replace(/-v\d+$/, ''), address, port, dial: { address: '127.0.0.1', port: app.port }, meshed: false, labels };
}

/** A service named `name` in `default` on `port`, with extra snapshot fields. */
export function trafficService(name: string, port: number, endpoints: EndpointSnapshot[], extra: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return { name, namespace: 'default', hosts: [name, `${name}.default`, `${name}.default.svc.cluster.local`], ports: [port], endpoints, ...extra };
}

/** A client with a keep-alive pool and no retries of its own. */
export class Client {
  readonly #agent = new Agent({ keepAliveTimeout: 2000, connections: 64 });

  async send(port: number, path: string, opts: { host: string; method?: string; headers?: Record<string, string>; body?: string } ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; ms: number }> {
    const t0 = performance.now();
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      dispatcher: this.#agent,
      method: (opts.method ?? 'GET') as 'GET',
      headers: { host: opts.host, ...opts.headers },
      body: opts.body,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, text, ms: performance.now() - t0 };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** The agent's access log entries so far (parsed). */
export function accessLog(agent: RunningAgent): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const l of agent.stdoutLines) {
    try {
      const e = JSON.parse(l);
      if (e.response_flags !== undefined) out.push(e);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** The access log entry of `requestId`, once written. */
export function logEntry(agent: RunningAgent, requestId: string): Promise<Record<string, any>> {
  return waitFor(() => accessLog(agent).find((e) => e.request_id === requestId), 3000, `access log of ${requestId}`);
}

/** Open file descriptors and TCP sockets of a process (Linux). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
