import { AGENT_ENV, DEFAULT_TRACE_PROTOCOL, DEFAULT_TRACE_SAMPLING_PERCENT, PORTS, TRACE_PROTOCOLS, type TraceProtocol } from '../wire/types.ts';
import { AgentError } from './agent-error.ts';

/** An inbound listener asked for on the command line (process mode). */
export interface InboundFlag {
  appPort: number;
  listenPort: number;
}

/** An outbound listener asked for on the command line (process mode). */
export interface OutboundFlag {
  host: string;
  port: number;
  listenPort: number;
}

/** Everything `agent/main.ts` accepts, after flags and environment are merged. */
export interface AgentOptions {
  capture: 'none' | 'iptables';
  controlUrl?: string;
  /** PEM roots of the control server's certificate (`DOCKMESH_CONTROL_CA`), needed with an `https:` control URL. */
  controlCa?: string;
  /** `--control-ca FILE`: the same, from a file (process mode). */
  controlCaFile?: string;
  token?: string;
  container?: string;
  snapshotFile?: string;
  /** A fixed workload identity (key.pem, cert.pem, ca.pem): mTLS without a CA (benchmarks, tests). */
  identityDir?: string;
  adminPort: number;
  bind: string;
  appHost: string;
  inbound: InboundFlag[];
  outbound: OutboundFlag[];
  accessLog: boolean;
  metrics: boolean;
  /** `--upstream-client`: the HTTP/1.1 upstream client (agent/h1/, or undici's Pool). */
  upstreamClient: 'h1' | 'undici';
  /** `--tracing-endpoint` (and `--tracing-sampling`, `--tracing-protocol`): export spans there (process mode; a snapshot's tracing wins in container mode). */
  tracing?: { endpoint: string; samplingPercent: number; protocol: TraceProtocol };
  /** Internal: this process is the proxy child forked by the capture manager. */
  proxyChild: boolean;
}

/** The internal flag the capture manager passes to its forked proxy. */
export const PROXY_CHILD_FLAG = '--proxy-child';

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new AgentError('AGENT_ERR_USAGE', `${what}: not a port: ${text}`);
  return n;
}

function onOff(text: string, what: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new AgentError('AGENT_ERR_USAGE', `${what} must be on or off, got ${text}`);
}

function httpUrl(text: string, what: string): string {
  if (!/^https?:\/\//i.test(text) || !URL.canParse(text)) throw new AgentError('AGENT_ERR_USAGE', `${what} wants an http(s) URL, got ${text}`);
  return text;
}

function percent(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new AgentError('AGENT_ERR_USAGE', `${what} wants a percentage 0-100, got ${text}`);
  return n;
}

function parseInbound(text: string): InboundFlag {
  const m = /^(\d+)=(\d+)$/.exec(text);
  if (!m) throw new AgentError('AGENT_ERR_USAGE', `--inbound wants APPPORT=LISTENPORT, got ${text}`);
  return { appPort: port(m[1]!, '--inbound'), listenPort: port(m[2]!, '--inbound') };
}

function parseOutbound(text: string): OutboundFlag {
  const m = /^([^:=\s]+):(\d+)=(\d+)$/.exec(text);
  if (!m) throw new AgentError('AGENT_ERR_USAGE', `--outbound wants HOST:PORT=LISTENPORT, got ${text}`);
  return { host: m[1]!.toLowerCase(), port: port(m[2]!, '--outbound'), listenPort: port(m[3]!, '--outbound') };
}

/** Parses the agent's command line and environment (pure). Throws AGENT_ERR_USAGE. */
export function parseAgentOptions(argv: string[], env: Record<string, string | undefined>): AgentOptions {
  const opts: AgentOptions = {
    capture: 'none',
    controlUrl: env[AGENT_ENV.controlUrl] || undefined,
    controlCa: env[AGENT_ENV.controlCa] || undefined,
    token: env[AGENT_ENV.token] || undefined,
    container: env[AGENT_ENV.container] || undefined,
    adminPort: PORTS.admin,
    bind: '127.0.0.1',
    appHost: '127.0.0.1',
    inbound: [],
    outbound: [],
    accessLog: true,
    metrics: true,
    upstreamClient: 'h1',
    proxyChild: false,
  };
  let upstreamClient = env[AGENT_ENV.upstreamClient] || 'h1';
  let capture = env[AGENT_ENV.capture] || 'none';
  let sampling: number | undefined;
  let protocol: TraceProtocol | undefined;
  if (env[AGENT_ENV.adminPort]) opts.adminPort = port(env[AGENT_ENV.adminPort]!, AGENT_ENV.adminPort);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === PROXY_CHILD_FLAG) {
      opts.proxyChild = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new AgentError('AGENT_ERR_USAGE', `${flag} needs a value`);
    i++;
    switch (flag) {
      case '--capture': capture = value; break;
      case '--control-url': opts.controlUrl = value; break;
      case '--control-ca': opts.controlCaFile = value; break;
      case '--token': opts.token = value; break;
      case '--container': opts.container = value; break;
      case '--snapshot': opts.snapshotFile = value; break;
      case '--identity-dir': opts.identityDir = value; break;
      case '--admin-port': opts.adminPort = port(value, flag); break;
      case '--bind': opts.bind = value; break;
      case '--app-host': opts.appHost = value; break;
      case '--inbound': opts.inbound.push(parseInbound(value)); break;
      case '--outbound': opts.outbound.push(parseOutbound(value)); break;
      case '--access-log': opts.accessLog = onOff(value, flag); break;
      case '--metrics': opts.metrics = onOff(value, flag); break;
      case '--upstream-client': upstreamClient = value; break;
      case '--tracing-endpoint': opts.tracing = { endpoint: httpUrl(value, flag), samplingPercent: DEFAULT_TRACE_SAMPLING_PERCENT, protocol: DEFAULT_TRACE_PROTOCOL }; break;
      case '--tracing-sampling': sampling = percent(value, flag); break;
      case '--tracing-protocol':
        if (!(TRACE_PROTOCOLS as readonly string[]).includes(value)) throw new AgentError('AGENT_ERR_USAGE', `--tracing-protocol must be ${TRACE_PROTOCOLS.join(' or ')}, got ${value}`);
        protocol = value as TraceProtocol;
        break;
      default: throw new AgentError('AGENT_ERR_USAGE', `unknown flag ${flag}`);
    }
  }
  if (capture !== 'none' && capture !== 'iptables') {
    throw new AgentError('AGENT_ERR_USAGE', `--capture must be none or iptables, got ${capture}`);
  }
  opts.capture = capture;
  if (upstreamClient !== 'h1' && upstreamClient !== 'undici') {
    throw new AgentError('AGENT_ERR_USAGE', `--upstream-client must be h1 or undici, got ${upstreamClient}`);
  }
  opts.upstreamClient = upstreamClient;
  if (sampling !== undefined) {
    if (!opts.tracing) throw new AgentError('AGENT_ERR_USAGE', '--tracing-sampling needs --tracing-endpoint');
    opts.tracing.samplingPercent = sampling;
  }
  if (protocol !== undefined) {
    if (!opts.tracing) throw new AgentError('AGENT_ERR_USAGE', '--tracing-protocol needs --tracing-endpoint');
    opts.tracing.protocol = protocol;
  }
  if (!opts.snapshotFile && !opts.controlUrl) {
    throw new AgentError('AGENT_ERR_USAGE', 'give --control-url (or DOCKMESH_CONTROL_URL) or --snapshot');
  }
  if (opts.controlUrl) httpUrl(opts.controlUrl, '--control-url');
  if (opts.controlUrl && /^https:/i.test(opts.controlUrl) && !opts.controlCa && !opts.controlCaFile) {
    throw new AgentError('AGENT_ERR_USAGE', `an https control URL needs --control-ca FILE (or ${AGENT_ENV.controlCa})`);
  }
  if (opts.controlUrl && !opts.snapshotFile && !opts.container) {
    throw new AgentError('AGENT_ERR_USAGE', '--container (or DOCKMESH_CONTAINER) is required with a control server');
  }
  return opts;
}
