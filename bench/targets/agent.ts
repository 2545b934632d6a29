/**
 * dockmesh agent targets, in process mode (no capture): one hop (client agent → upstream) and a pair
 * (client agent → server agent → upstream), plaintext or with mTLS between the agents. A target whose
 * agent does not start or forward reports why instead of numbers.
 *
 * How the agent is run (bundle, Node flags): bundled-runner.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { TlsCounts } from '../model.ts';
import { ProcMeter } from '../proc/proc-meter.ts';
import { agentRunner, envText } from './bundled-runner.ts';
import { clientSnapshot, serverSnapshot, UPSTREAM_HOST } from './agent-snapshot.ts';
import { benchJwt } from './bench-jwt.ts';
import { writeBenchIdentities } from './bench-identities.ts';
import { ManagedProcess } from './managed-process.ts';
import { startOtlpSink, type OtlpSink } from './otlp-sink.ts';
import { TargetUnavailable, type RunningTarget, type TargetContext, type TargetDef } from './target.ts';
import { UPSTREAM_BODY_BYTES } from './upstream.ts';
import { getJson, getText } from './loopback-get.ts';

const START_TIMEOUT_MS = 20_000;

interface Listening {
  admin: number;
  inbound: Record<string, number>;
  outbound: Record<string, number>;
}

/** Parses the agent's `{"msg":"listening",...}` stdout line. */
export function parseListening(line: string): Listening | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as { msg?: unknown } & Partial<Listening>;
    if (v.msg !== 'listening') return undefined;
    return { admin: Number(v.admin), inbound: v.inbound ?? {}, outbound: v.outbound ?? {} };
  } catch {
    return undefined;
  }
}

async function startAgent(
  ctx: TargetContext,
  name: string,
  snapshot: object,
  extra: string[],
  observability = false,
): Promise<{ proc: ManagedProcess; listening: Listening; command: string }> {
  const { nodeArgs: args, env } = agentRunner(ctx.agentRoot ?? ctx.repoRoot, ctx.workDir);
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  const snapshotFile = join(dir, 'snapshot.json');
  writeFileSync(snapshotFile, JSON.stringify(snapshot, null, 2));
  const full = [
    ...args,
    '--capture', 'none',
    '--snapshot', snapshotFile,
    '--admin-port', '0',
    '--app-host', '127.0.0.1',
    '--access-log', observability ? 'on' : 'off',
    '--metrics', observability ? 'on' : 'off',
    ...extra,
  ];
  const logFile = join(dir, 'agent.log');
  const proc = new ManagedProcess({ name, command: process.execPath, args: full, env: { ...process.env, ...env }, cpus: ctx.pinning.proxy, cwd: ctx.repoRoot, logFile });
  try {
    const listening = await proc.waitForLine(parseListening, START_TIMEOUT_MS);
    // stdout carries the access log from here on.
    proc.discardStdout();
    return { proc, listening, command: `${envText(env)}node ${full.join(' ')}` };
  } catch (err) {
    await proc.close();
    throw new TargetUnavailable(`agent not available: ${(err as Error).message} (log: ${logFile})`);
  }
}

/** One GET through the agent; resolves when it returns the upstream's body, else throws. */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: UPSTREAM_HOST }, agent: false, timeout: 5000 }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => {
        if (res.statusCode === 200 && n === UPSTREAM_BODY_BYTES) resolve();
        else reject(new Error(`status ${res.statusCode}, ${n}-byte body (want 200 and ${UPSTREAM_BODY_BYTES} bytes)`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

async function forwarding(port: number, procs: ManagedProcess[]): Promise<void> {
  try {
    await probe(port);
  } catch (err) {
    await Promise.all(procs.map((p) => p.close()));
    throw new TargetUnavailable(`agent not available: it starts but does not forward (${(err as Error).message})`);
  }
}

async function outboundPort(l: Listening, upstreamPort: number, procs: ManagedProcess[]): Promise<number> {
  const p = l.outbound[`${UPSTREAM_HOST}:${upstreamPort}`] ?? Object.values(l.outbound)[0];
  if (p) return p;
  await Promise.all(procs.map((x) => x.close()));
  throw new TargetUnavailable(`agent not available: no outbound listener in ${JSON.stringify(l)}`);
}

/**
 * One agent hop; `observability`: metrics and the access log on, and tracing too at that sampling
 * percentage when `tracing` (their cost is the difference). Spans go to a loopback OTLP sink that
 * discards them.
 */
function agentHop(id: string, title: string, description: string, observability: { tracing: boolean; samplingPercent: number } | false): TargetDef {
  return {
    id,
    title,
    description,
    freshEachRound: true,
    async start(ctx): Promise<RunningTarget> {
      const sink = observability && observability.tracing ? await startOtlpSink(ctx, `${id}-otlp-sink`) : undefined;
      const tracing = sink && observability && observability.tracing ? ['--tracing-endpoint', sink.url, '--tracing-sampling', String(observability.samplingPercent)] : [];
      try {
        const client = await startAgent(ctx, id, clientSnapshot({ upstreamPort: ctx.upstreamPort }), ['--outbound', `${UPSTREAM_HOST}:${ctx.upstreamPort}=0`, ...tracing], observability !== false);
        const port = await outboundPort(client.listening, ctx.upstreamPort, [client.proc]);
        await forwarding(port, [client.proc]);
        return {
          port,
          host: UPSTREAM_HOST,
          meters: [new ProcMeter(client.proc.pid)],
          commands: [client.command],
          note: agentRunner(ctx.agentRoot ?? ctx.repoRoot, ctx.workDir).how,
          alive: () => client.proc.running,
          close: async () => {
            if (sink) await reportSpans(id, client.listening.admin, sink);
            await client.proc.close();
            await sink?.close();
          },
        };
      } catch (err) {
        await sink?.close();
        throw err;
      }
    },
  };
}

export const agentHopTarget = agentHop(
  'agent-hop',
  'dockmesh agent, 1 hop',
  'client → agent (outbound listener) → upstream, plaintext, metrics, access log and tracing off',
  false,
);

export const agentHopObservedTarget = agentHop(
  'agent-hop-obs',
  'dockmesh agent, 1 hop, metrics + tracing + access log',
  'as the 1-hop agent with metrics, the JSON access log (stdout read and discarded, as a log driver would) and tracing at 100% sampling, dockmesh\'s default and the worst case (a CLIENT span per request, OTLP/HTTP binary protobuf, the default encoding, to a loopback sink process that discards it)',
  { tracing: true, samplingPercent: 100 },
);

/** A variant of a target that only full runs measure (left out of --quick unless named). */
const fullRunOnly = (def: TargetDef): TargetDef => ({ ...def, fullRunOnly: true });

export const agentHopObservedSampledTarget = fullRunOnly(agentHop(
  'agent-hop-obs-1pct',
  'dockmesh agent, 1 hop, metrics + tracing at 1% + access log',
  'as the previous target with tracing at 1% sampling, Istio\'s default (every request still gets its trace context; one in a hundred new traces is exported)',
  { tracing: true, samplingPercent: 1 },
));

export const agentHopMetricsLogTarget = fullRunOnly(agentHop(
  'agent-hop-ml',
  'dockmesh agent, 1 hop, metrics + access log',
  'as the 1-hop agent with metrics and the JSON access log on and tracing off: the share of the observability cost that is not tracing',
  { tracing: false, samplingPercent: 0 },
));

/**
 * Client agent → server agent → upstream; `mtls`: both agents hold a workload identity; `jwt`: the
 * server agent verifies the JWT every request carries (RequestAuthentication).
 */
function agentPair(id: string, title: string, description: string, mtls: boolean, jwt = false): TargetDef {
  return {
    id,
    title,
    description,
    freshEachRound: true,
    async start(ctx): Promise<RunningTarget> {
      const ids = mtls ? await writeBenchIdentities(ctx.workDir, [UPSTREAM_HOST, 'bench-client']) : undefined;
      const identity = (service: string) => (ids ? ['--identity-dir', ids[service]!] : []);
      const token = jwt ? benchJwt() : undefined;
      const server = await startAgent(ctx, `${id}-server`, serverSnapshot(token && [token.rule]), ['--inbound', `${ctx.upstreamPort}=0`, ...identity(UPSTREAM_HOST)]);
      const inbound = server.listening.inbound[String(ctx.upstreamPort)] ?? Object.values(server.listening.inbound)[0];
      if (!inbound) {
        await server.proc.close();
        throw new TargetUnavailable(`agent not available: the server agent has no inbound listener (${JSON.stringify(server.listening)})`);
      }
      let client;
      try {
        client = await startAgent(
          ctx,
          `${id}-client`,
          clientSnapshot({ upstreamPort: ctx.upstreamPort, serverAgent: { address: '127.0.0.1', port: inbound } }),
          ['--outbound', `${UPSTREAM_HOST}:${ctx.upstreamPort}=0`, ...identity('bench-client')],
        );
      } catch (err) {
        await server.proc.close();
        throw err;
      }
      const port = await outboundPort(client.listening, ctx.upstreamPort, [client.proc, server.proc]);
      await forwarding(port, [client.proc, server.proc]);
      return {
        port,
        host: UPSTREAM_HOST,
        ...(token ? { headers: [token.header] } : {}),
        meters: [new ProcMeter(client.proc.pid), new ProcMeter(server.proc.pid)],
        commands: [client.command, server.command],
        note: agentRunner(ctx.agentRoot ?? ctx.repoRoot, ctx.workDir).how,
        alive: () => client.proc.running && server.proc.running,
        ...(mtls ? { tlsCounters: () => readTlsCounts(client.listening.admin, server.listening.admin) } : {}),
        close: async () => {
          if (mtls) await reportHandshakes(id, client.listening.admin, server.listening.admin);
          await Promise.all([client.proc.close(), server.proc.close()]);
        },
      };
    },
  };
}

/** TLS handshakes the client agent has made (its metrics) and requests the server agent has served (its /stats), since start. */
async function readTlsCounts(clientAdmin: number, serverAdmin: number): Promise<TlsCounts> {
  const metrics = await getText(clientAdmin, '/metrics');
  const count = (resumed: string) => Number(new RegExp(`^dockmesh_tls_handshakes_total\\{direction="outbound",resumed="${resumed}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
  const stats = (await getJson(serverAdmin, '/stats')) as { inbound: { requests: number } };
  return { full: count('false'), resumed: count('true'), requests: stats.inbound.requests };
}

/** One line on stderr: spans the agent exported and dropped over the run, and what the sink received. */
async function reportSpans(id: string, admin: number, sink: OtlpSink): Promise<void> {
  try {
    const metrics = await getText(admin, '/metrics');
    const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
    const exported = value(/^dockmesh_trace_spans_exported_total (\S+)$/m);
    const full = value(/^dockmesh_trace_spans_dropped_total\{reason="queue_full"\} (\S+)$/m);
    const failed = value(/^dockmesh_trace_spans_dropped_total\{reason="export_failed"\} (\S+)$/m);
    const s = await sink.stats();
    process.stderr.write(`bench: ${id}: ${exported} spans exported, ${full} dropped (queue full), ${failed} dropped (export failed); the sink got ${s.requests} requests, ${(s.bytes / 1e6).toFixed(1)} MB\n`);
  } catch (err) {
    process.stderr.write(`bench: ${id}: span counts unavailable: ${(err as Error).message}\n`);
  }
}

/** One line on stderr: TLS handshakes the client agent made vs requests the server agent served, over the whole run. */
async function reportHandshakes(id: string, clientAdmin: number, serverAdmin: number): Promise<void> {
  try {
    const { full, resumed, requests } = await readTlsCounts(clientAdmin, serverAdmin);
    const per = requests > 0 ? ((full + resumed) / requests).toExponential(2) : 'n/a';
    process.stderr.write(`bench: ${id}: ${full} full + ${resumed} resumed TLS handshakes for ${requests} requests over the run (${per} per request)\n`);
  } catch (err) {
    process.stderr.write(`bench: ${id}: handshake count unavailable: ${(err as Error).message}\n`);
  }
}

export const agentPairTarget = agentPair(
  'agent-pair',
  'dockmesh agent pair',
  'client → client agent → server agent (inbound) → upstream, plaintext, metrics and access log off',
  false,
);

export const agentPairMtlsTarget = agentPair(
  'agent-pair-mtls',
  'dockmesh agent pair, mTLS',
  'as the agent pair, with mTLS between the agents (TLS 1.3, ECDSA P-256 leaves from a local CA via --identity-dir; pooled connections, session resumption)',
  true,
);

export const agentPairJwtTarget = fullRunOnly(agentPair(
  'agent-pair-jwt',
  'dockmesh agent pair, JWT',
  'as the agent pair, with the server agent verifying the JWT every request carries (RequestAuthentication, an RS256 key inline; the token removed before the upstream): what request authentication costs',
  false,
  true,
));
