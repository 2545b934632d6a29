/**
 * Experiment behind the choice of HTTP/1.1 (pooled keep-alive TLS connections) between agents:
 * undici's client over TLS, HTTP/1.1 (a pool, one request per connection at a time) vs HTTP/2 (one
 * connection, multiplexed), to a Node server answering 64 bytes (https vs http2 compat API), 50
 * requests in flight, alternating. Server on core 0, client on core 1. Loopback only.
 *
 *   node --import tsx bench/experiments/h1-vs-h2-tls.ts [seconds=4] [pairs=3]
 *
 * Prints req/s, client and server CPU per request, p50/p99 per run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const role = process.argv[2];
if (role === 'server') await server();
else if (role === 'client') await client(process.argv[3] as 'h1' | 'h2', Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
else await main(Number(process.argv[2] ?? 4), Number(process.argv[3] ?? 3));

async function main(seconds: number, pairs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'h1h2-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const srv = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', import.meta.filename, 'server'], { env: { ...process.env, CERT_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ h1: number; h2: number }>((resolve) => srv.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()))));
  const ticks = () => { const f = readFileSync(`/proc/${srv.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
  try {
    for (let i = 0; i < pairs * 2; i++) {
      const mode = i % 2 === 0 ? 'h1' : 'h2';
      const t0 = ticks();
      const out = execFileSync('taskset', ['-c', '1', process.execPath, '--import', 'tsx', import.meta.filename, 'client', mode, String(ports[mode]), String(seconds), '50'], { encoding: 'utf8' });
      const r = JSON.parse(out) as { n: number; clientUs: number; p50: number; p99: number; seconds: number };
      const serverUs = ((ticks() - t0) * 10_000) / r.n;
      console.log(`${mode}: ${Math.round(r.n / r.seconds)} req/s, client ${r.clientUs.toFixed(1)} µs CPU/req, server ${serverUs.toFixed(1)} µs CPU/req, p50 ${Math.round(r.p50)} µs, p99 ${Math.round(r.p99)} µs`);
    }
  } finally {
    srv.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function server(): Promise<void> {
  const https = await import('node:https');
  const http2 = await import('node:http2');
  const dir = process.env.CERT_DIR!;
  const tls = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  const body = Buffer.alloc(64, 'x');
  const h = (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): void; end(b: Buffer): void }) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '64' });
    res.end(body);
  };
  const s1 = https.createServer(tls, h).listen(0, '127.0.0.1');
  const s2 = http2.createSecureServer(tls, h as never).listen(0, '127.0.0.1');
  await Promise.all([s1, s2].map((s) => new Promise((r) => s.once('listening', r))));
  const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ h1: port(s1), h2: port(s2) })}\n`);
}

async function client(mode: 'h1' | 'h2', port: number, seconds: number, inFlight: number): Promise<void> {
  const { Pool } = await import('undici');
  const h2 = mode === 'h2';
  const pool = new Pool(`https://127.0.0.1:${port}`, {
    connect: { rejectUnauthorized: false, ALPNProtocols: [h2 ? 'h2' : 'http/1.1'] },
    allowH2: h2,
    pipelining: h2 ? 100 : 1,
    ...(h2 ? { connections: 1 } : {}),
  });
  const lat: number[] = [];
  const end = Date.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (Date.now() < end) {
      const s = performance.now();
      const r = await pool.request({ path: '/', method: 'GET' });
      await r.body.dump();
      lat.push((performance.now() - s) * 1000);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const el = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ n: lat.length, seconds: el, clientUs: (c.user + c.system) / lat.length, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)] }));
  await pool.close();
}
