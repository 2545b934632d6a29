/**
 * Experiment: how much of the agent's CPU per request is its HTTP stack, not its mesh logic.
 * Four one-hop proxies in front of the bench upstream (64-byte answers), under the same load
 * (wrk, 50 connections, keep-alive), alternating over rounds:
 *
 * - `haproxy`: the reference (1 thread), as in `npm run bench`;
 * - `agent`: the dockmesh agent, bundled and run with its image's Node flags, metrics and log off;
 * - `agent-undici`: the same with `--upstream-client undici` (undici's Pool upstream, as before agent/h1/);
 * - `http-undici`: node:http's server and an undici Pool with the agent's pool settings, forwarding
 *   method, path and headers and nothing else: the floor of the agent's present HTTP stack;
 * - `raw`: net sockets and Node's own HTTP parser (`_http_common`'s HTTPParser, llhttp in C++) on
 *   both sides, an idle-socket pool to the upstream: the floor of a data path without node:http's
 *   server or undici. GET only, no timeouts, no error handling: a measuring device, not a proxy.
 *
 * The Node proxies run with the agent image's Node flags. Proxies on core 0; upstream and wrk on core 1 (as the bench pins them). Loopback only.
 *
 *   node --import tsx bench/experiments/data-path-floor.ts [seconds=5] [rounds=3]
 *
 * Prints per round and target: req/s and the proxy's CPU µs per request (utime + stime from
 * /proc/<pid>/stat over the run), then the medians.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { clientSnapshot } from '../targets/agent-snapshot.ts';
import { haproxyConfig } from '../targets/haproxy-config.ts';
import { imageNodeFlags, AGENT_PROGRAM } from '../targets/bundled-runner.ts';

const REPO = resolve(import.meta.dirname, '../..');
const TARGETS = ['haproxy', 'agent', 'agent-undici', 'http-undici', 'http-raw', 'raw-undici', 'raw'] as const;
type Target = (typeof TARGETS)[number];

function printPort(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

/** node:http's server in front of an undici Pool (the agent's settings), old-style handler: no header object is built. */
async function httpUndiciForwarder(upstreamPort: number): Promise<void> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const server = createHttpServer((req, res) => {
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() !== 'connection') headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    pool.dispatch({ path: req.url!, method: req.method as 'GET', headers }, {
      onConnect() {},
      onHeaders(status: number, raw: Buffer[]) {
        const out: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const k = raw[i]!.toString('latin1');
          const lk = k.toLowerCase();
          if (lk !== 'connection' && lk !== 'keep-alive') out.push(k, raw[i + 1]!.toString('latin1'));
        }
        res.writeHead(status, out);
        return true;
      },
      onData(chunk: Buffer) {
        res.write(chunk);
        return true;
      },
      onComplete() {
        res.end();
      },
      onError() {
        res.destroy();
      },
    } as never);
  });
  server.listen(0, '127.0.0.1', () => printPort((server.address() as { port: number }).port));
}

interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | Error;
  [k: number]: unknown;
}

const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as { HTTPParser: new () => Parser; methods: string[] };
const P = HTTPParser as unknown as Record<string, number>;

/** What an upstream answered: status line parts, headers (hop-by-hop ones dropped), body chunks. */
type Answer = (status: number, message: string, headers: string[], body: Buffer[]) => void;

/** Upstream connections with Node's HTTPParser, pooled, one request each at a time. */
class RawUpstreams {
  readonly #idle: RawUpstream[] = [];
  constructor(readonly port: number) {}
  send(head: string, answer: Answer): void {
    (this.#idle.pop() ?? new RawUpstream(this.port, this.#idle)).send(head, answer);
  }
}

class RawUpstream {
  readonly #socket: Socket;
  readonly #parser: Parser;
  #answer: Answer | null = null;
  #status = 0;
  #message = '';
  #headers: string[] = [];
  #body: Buffer[] = [];
  constructor(port: number, idle: RawUpstream[]) {
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    const p = (this.#parser = new HTTPParser());
    p.initialize(P.RESPONSE!, {}, 0, 0);
    p[P.kOnHeadersComplete!] = (_maj: number, _min: number, headers: string[], _m: number, _u: string, status: number, message: string) => {
      const out: string[] = [];
      for (let i = 0; i < headers.length; i += 2) {
        const lk = headers[i]!.toLowerCase();
        if (lk !== 'connection' && lk !== 'keep-alive') out.push(headers[i]!, headers[i + 1]!);
      }
      this.#status = status;
      this.#message = message;
      this.#headers = out;
    };
    p[P.kOnBody!] = (b: Buffer) => {
      this.#body.push(Buffer.from(b));
    };
    p[P.kOnMessageComplete!] = () => {
      const answer = this.#answer!;
      const body = this.#body;
      this.#answer = null;
      this.#body = [];
      idle.push(this);
      answer(this.#status, this.#message, this.#headers, body);
    };
    this.#socket.on('data', (d) => p.execute(d));
    this.#socket.on('error', () => {});
  }
  send(head: string, answer: Answer): void {
    this.#answer = answer;
    this.#socket.write(head, 'latin1');
  }
}

/** A request head for the upstream from flat raw headers (Connection dropped). */
function requestHead(method: string, url: string, headers: string[]): string {
  let s = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'connection') s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${s}\r\n`;
}

/** Writes an answer to a raw client socket: head and body in one writev. */
function writeRaw(c: Socket, status: number, message: string, headers: string[], body: Buffer[]): void {
  let s = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  c.cork();
  c.write(`${s}\r\n`, 'latin1');
  for (const b of body) c.write(b);
  c.uncork();
}

/** A net server that parses requests with HTTPParser and hands each (method, url, raw headers) to `onRequest`. */
function rawServer(onRequest: (c: Socket, method: string, url: string, headers: string[]) => void): void {
  const server = createServer((c) => {
    c.setNoDelay(true);
    const parser = new HTTPParser();
    parser.initialize(P.REQUEST!, {}, 0, 0);
    let method = '';
    let url = '';
    let headers: string[] = [];
    parser[P.kOnHeadersComplete!] = (_maj: number, _min: number, h: string[], m: number, u: string) => {
      method = methods[m]!;
      url = u;
      headers = h;
    };
    parser[P.kOnMessageComplete!] = () => onRequest(c, method, url, headers);
    c.on('data', (d) => parser.execute(d));
    c.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => printPort((server.address() as { port: number }).port));
}

/** Raw on both sides. */
function rawForwarder(upstreamPort: number): void {
  const ups = new RawUpstreams(upstreamPort);
  rawServer((c, method, url, headers) => ups.send(requestHead(method, url, headers), (st, msg, h, body) => writeRaw(c, st, msg, h, body)));
}

/** node:http's server, raw upstream side. */
function httpRawForwarder(upstreamPort: number): void {
  const ups = new RawUpstreams(upstreamPort);
  const server = createHttpServer((req, res) => {
    ups.send(requestHead(req.method!, req.url!, req.rawHeaders), (status, _msg, headers, body) => {
      res.writeHead(status, headers);
      if (body.length === 1) res.end(body[0]);
      else {
        for (const b of body) res.write(b);
        res.end();
      }
    });
  });
  server.listen(0, '127.0.0.1', () => printPort((server.address() as { port: number }).port));
}

/** Raw server side, undici upstream side (old-style handler). */
async function rawUndiciForwarder(upstreamPort: number): Promise<void> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  rawServer((c, method, url, raw) => {
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'connection') headers.push(raw[i]!, raw[i + 1]!);
    let status = 0;
    let message = '';
    let out: string[] = [];
    const body: Buffer[] = [];
    pool.dispatch({ path: url, method: method as 'GET', headers }, {
      onConnect() {},
      onHeaders(st: number, rh: Buffer[], _resume: unknown, msg: string) {
        status = st;
        message = msg;
        out = [];
        for (let i = 0; i < rh.length; i += 2) {
          const k = rh[i]!.toString('latin1');
          const lk = k.toLowerCase();
          if (lk !== 'connection' && lk !== 'keep-alive') out.push(k, rh[i + 1]!.toString('latin1'));
        }
        return true;
      },
      onData(chunk: Buffer) {
        body.push(chunk);
        return true;
      },
      onComplete() {
        writeRaw(c, status, message, out, body);
      },
      onError() {
        c.destroy();
      },
    } as never);
  });
}

function readPort(child: ChildProcess, pattern: RegExp): Promise<number> {
  return new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`no port from ${child.spawnargs.join(' ')}: ${buf}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
  });
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

function wrk(port: number, seconds: number): number {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, '-H', 'Host: up', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  if (!m || /Non-2xx|Socket errors/.test(out)) throw new Error(`wrk: ${out}`);
  return Number(m[1]);
}

async function main(seconds: number, rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'floor-'));
  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[]) => {
    const c = spawn('taskset', ['-c', cmd === 'upstream' ? '1' : '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    return c;
  };
  try {
    const up = start('upstream', [process.execPath, '--import', 'tsx', join(REPO, 'bench/targets/upstream-server.ts')]);
    const upstreamPort = await readPort(up, /"port":(\d+)/);

    execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/bundle.ts'), `agent=agent/main.ts`, '--out-dir', dir], { cwd: REPO, stdio: 'ignore' });
    const snap = join(dir, 'snapshot.json');
    writeFileSync(snap, JSON.stringify(clientSnapshot({ upstreamPort })));
    const agentArgs = [...imageNodeFlags(REPO, AGENT_PROGRAM), join(dir, 'agent/agent.mjs'), '--capture', 'none', '--snapshot', snap, '--admin-port', '0', '--app-host', '127.0.0.1', '--access-log', 'off', '--metrics', 'off', '--outbound', `up:${upstreamPort}=0`];

    const haproxyPort = 20000 + Math.floor(Math.random() * 20000);
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig({ listenPort: haproxyPort, upstreamPort }));

    const procs = new Map<Target, { pid: number; port: number }>();
    const agent = start('proxy', [process.execPath, ...agentArgs]);
    procs.set('agent', { pid: agent.pid!, port: await readPort(agent, /"up:\d+":(\d+)/) });
    const agentUndici = start('proxy', [process.execPath, ...agentArgs, '--upstream-client', 'undici']);
    procs.set('agent-undici', { pid: agentUndici.pid!, port: await readPort(agentUndici, /"up:\d+":(\d+)/) });
    const hu = start('proxy', [process.execPath, ...imageNodeFlags(REPO, AGENT_PROGRAM), '--import', 'tsx', import.meta.filename, 'http-undici', String(upstreamPort)]);
    procs.set('http-undici', { pid: hu.pid!, port: await readPort(hu, /"port":(\d+)/) });
    for (const t of ['http-raw', 'raw-undici', 'raw'] as const) {
      const c = start('proxy', [process.execPath, ...imageNodeFlags(REPO, AGENT_PROGRAM), '--import', 'tsx', import.meta.filename, t, String(upstreamPort)]);
      procs.set(t, { pid: c.pid!, port: await readPort(c, /"port":(\d+)/) });
    }
    const hp = start('proxy', ['haproxy', '-db', '-f', cfg]);
    await new Promise((r) => setTimeout(r, 500));
    procs.set('haproxy', { pid: hp.pid!, port: haproxyPort });

    // taskset execs the command: the child's pid is the proxy's.
    for (const t of TARGETS) wrk(procs.get(t)!.port, 10);
    const cpu = new Map<Target, number[]>(TARGETS.map((t) => [t, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < TARGETS.length; i++) {
        const t = TARGETS[(i + r) % TARGETS.length]!;
        const { pid, port } = procs.get(t)!;
        const t0 = cpuTicks(pid);
        const n = wrk(port, seconds);
        const us = ((cpuTicks(pid) - t0) * 10_000) / n;
        cpu.get(t)!.push(us);
        console.log(`round ${r + 1} ${t}: ${Math.round(n / seconds)} req/s, ${us.toFixed(1)} µs CPU/req`);
      }
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    const hap = median(cpu.get('haproxy')!);
    for (const t of TARGETS) {
      const m = median(cpu.get(t)!);
      console.log(`median ${t}: ${m.toFixed(1)} µs CPU/req, ${(m / hap).toFixed(2)}× haproxy's`);
    }
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'raw') rawForwarder(Number(process.argv[3]));
else if (role === 'http-raw') httpRawForwarder(Number(process.argv[3]));
else if (role === 'raw-undici') await rawUndiciForwarder(Number(process.argv[3]));
else if (role === 'http-undici') await httpUndiciForwarder(Number(process.argv[3]));
else await main(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 3));
