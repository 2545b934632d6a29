/**
 * Test support for the agent's integration suites: agents as real processes (port 0, listening line
 * on stdout), node:http apps that echo what they received, a raw TCP echo server, a control server
 * stub that serves the NDJSON stream and records ACKs and reports, and a Prometheus text reader.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import type { AckRequest, AgentReport, AgentSnapshot } from '../../../wire/types.ts';
import { AGENT_PROGRAM, imageEnv, imageNodeFlags } from '../../../bench/targets/bundled-runner.ts';
import { bundle, type BundleOutput } from '../../../cli/images/bundler.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The agent's `{"msg":"listening"}` line. */
export interface Listening {
  admin: number;
  inbound: Record<string, number>;
  outbound: Record<string, number>;
}

/** The agent bundled as its image holds it, in a directory of its own. */
export interface BundledAgent {
  /** The bundler's answer (entry path, chunks). */
  output: BundleOutput;
  /** `startAgent`'s `program`: the image's Node flags and the bundle's entry. */
  program: string[];
  /** What the image's ENV lines set, for `startAgent`'s `env`. */
  env: Record<string, string>;
  /** Removes the bundle's directory. */
  remove(): void;
}

/** Bundles agent/main.ts as cli/images does and runs it with the agent image's Node flags and environment. */
export async function bundledAgent(): Promise<BundledAgent> {
  const out = mkdtempSync(join(tmpdir(), 'dm-bundled-agent-'));
  const [output] = await bundle({ root: ROOT, entries: [{ name: 'agent', entry: 'agent/main.ts' }], outDir: out });
  return {
    output: output!,
    program: [...imageNodeFlags(ROOT, AGENT_PROGRAM), output!.path!],
    env: imageEnv(ROOT, AGENT_PROGRAM),
    remove: () => rmSync(out, { recursive: true, force: true }),
  };
}

/** An agent process under test. */
export interface RunningAgent {
  proc: ChildProcess;
  ports: Listening;
  stdoutLines: string[];
  stderr: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Spawns `node --import tsx agent/main.ts ...args` (or `node <program...> ...args`, such as a
 * bundle with its Node flags) and waits for its listening line.
 */
export function startAgent(args: string[], env: Record<string, string> = {}, program: readonly string[] = ['--import', 'tsx', join(ROOT, 'agent/main.ts')]): Promise<RunningAgent> {
  const proc = spawn(process.execPath, [...program, '--admin-port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdoutLines: string[] = [];
  let stderr = '';
  let tail = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      const parts = (tail + d.toString()).split('\n');
      tail = parts.pop()!;
      for (const line of parts) {
        stdoutLines.push(line);
        let msg: { msg?: string } & Partial<Listening>;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.msg === 'listening') {
          resolveStart({
            proc,
            ports: msg as Listening,
            stdoutLines,
            stderr: () => stderr,
            exited,
            stop: (signal = 'SIGTERM') => {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`agent exited ${code} before listening:\n${stderr}`)));
  });
}

/** Writes a snapshot to a temporary file; `cleanup()` removes every file written. */
export class SnapshotFiles {
  /** The temporary directory the files are written to (removed by `cleanup()`). */
  readonly dir = mkdtempSync(join(tmpdir(), 'dockmesh-agent-test-'));
  #n = 0;

  write(s: AgentSnapshot | unknown): string {
    const file = join(this.dir, `snapshot-${this.#n++}.json`);
    writeFileSync(file, JSON.stringify(s));
    return file;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What an echo app saw. */
export interface Seen {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A node:http app on port 0 that answers JSON describing the request; can hold responses. */
export class EchoApp {
  readonly name: string;
  readonly server: Server;
  readonly seen: Seen[] = [];
  hold = false;
  readonly held: Array<() => void> = [];
  /** URLs of requests whose connection closed before the app answered. */
  readonly abandoned: string[] = [];
  port = 0;

  constructor(name: string) {
    this.name = name;
    this.server = createServer((req, res) => this.#handle(req, res));
    // Upgrade protocol "echo": answers 101, then echoes every byte.
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.seen.push({ name: this.name, method: req.method!, url: req.url!, headers: req.headers, body: '' });
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      if (head.length) socket.write(head);
      socket.on('data', (d) => socket.write(d));
      socket.on('end', () => socket.end());
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    res.once('close', () => {
      if (!res.writableFinished) this.abandoned.push(req.url!);
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = { name: this.name, method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      this.seen.push(seen);
      const answer = () => {
        const text = JSON.stringify(seen);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-app': this.name });
        res.end(text);
      };
      if (this.hold) this.held.push(answer);
      else answer();
    });
  }

  async listen(host = '127.0.0.1', port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, host, () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A raw TCP echo server on port 0. */
export class TcpEcho {
  readonly server: NetServer;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createNetServer((s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {});
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A control server stub: serves the NDJSON stream, records ACKs and reports with their auth header. */
export class ControlStub {
  readonly server: Server;
  readonly streams: ServerResponse[] = [];
  readonly acks: Array<AckRequest & { container: string; auth?: string }> = [];
  readonly reports: Array<AgentReport & { container: string; auth?: string }> = [];
  streamRequests = 0;
  current: unknown;
  port = 0;

  constructor(initial?: unknown) {
    this.current = initial;
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const m = /^\/v1\/agents\/([^/]+)\/(stream|ack|report)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const container = decodeURIComponent(m[1]!);
    const auth = req.headers.authorization;
    if (m[2] === 'stream' && req.method === 'GET') {
      this.streamRequests++;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      this.streams.push(res);
      res.on('close', () => this.streams.splice(this.streams.indexOf(res), 1));
      if (this.current !== undefined) res.write(JSON.stringify({ type: 'snapshot', snapshot: this.current }) + '\n');
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body);
      if (m[2] === 'ack') this.acks.push({ ...parsed, container, auth });
      else this.reports.push({ ...parsed, container, auth });
      res.writeHead(204).end();
    });
  }

  /** Sends a snapshot (or any value) to every open stream; later streams start with it. */
  push(snapshot: unknown): void {
    this.current = snapshot;
    for (const s of this.streams) s.write(JSON.stringify({ type: 'snapshot', snapshot }) + '\n');
  }

  /** Ends every open stream (the agent must reconnect). */
  dropStreams(): void {
    for (const s of [...this.streams]) s.end();
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    for (const s of [...this.streams]) s.destroy();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A small HTTP client with its own connection pool, closed by the suite. */
export class TestClient {
  readonly #agent = new Agent({ keepAliveTimeout: 1000 });

  async get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: this.#agent, headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  async json<T = any>(port: number, path: string, headers: Record<string, string> = {}): Promise<T> {
    const r = await this.get(port, path, headers);
    return JSON.parse(r.text) as T;
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Sum of the samples of `name` whose labels include all of `labels` (Prometheus text format). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const labelText = close > 0 ? line.slice(name.length + 1, close) : '';
    const have: Record<string, string> = {};
    for (const m of labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[m[1]!] = m[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(line.slice(close > 0 ? close + 1 : name.length).trim());
  }
  return sum;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
