/**
 * Entry point of the dockmesh agent: `node --import tsx agent/main.ts [flags]` (see docs/agent.md).
 * Only wires modules together: the capture manager in container mode (root), the proxy otherwise.
 */
import { AgentError } from './agent-error.ts';
import { parseAgentOptions, type AgentOptions } from './agent-options.ts';
import { CaptureManager } from './capture-manager.ts';
import { IptablesRunner } from './iptables-runner.ts';
import { Logger } from './logger.ts';

const log = new Logger({ component: 'agent', pid: process.pid });

function fail(err: unknown): never {
  const code = err instanceof AgentError ? err.code : 'AGENT_ERR_INTERNAL';
  const cause = (err as { cause?: Error }).cause;
  log.error((err as Error).message, { code, cause: cause?.message });
  process.exit(err instanceof AgentError && err.code === 'AGENT_ERR_USAGE' ? 2 : 1);
}

async function runProxy(opts: AgentOptions): Promise<void> {
  // Imported here, not at the top: the capture manager (container mode's root process) never
  // loads the proxy's modules, node:http among them (docs/agent.md, "Memory").
  const { ProxyAgent } = await import('./proxy-agent.ts');
  let exiting = false;
  const stop = (graceMs: number) => {
    if (exiting) return;
    exiting = true;
    log.info('draining', { graceMs });
    agent.drain(graceMs).then(
      () => process.exit(0),
      (err) => fail(err),
    );
  };
  const agent = new ProxyAgent(opts, log, stop);
  // Best effort on any other exit; drain() (SIGTERM, SIGINT, drain order) waits for stdout instead.
  process.on('exit', () => agent.flushAccessLog());
  process.on('SIGTERM', () => stop(5000));
  process.on('SIGINT', () => stop(5000));
  const line = await agent.start();
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function runCaptureManager(): Promise<void> {
  const manager = new CaptureManager({
    runner: new IptablesRunner(),
    log: log.child({ role: 'capture-manager' }),
    script: process.argv[1]!,
    args: process.argv.slice(2),
  });
  process.exit(await manager.run());
}

try {
  const opts = parseAgentOptions(process.argv.slice(2), process.env);
  if (opts.capture === 'iptables' && !opts.proxyChild) await runCaptureManager();
  else await runProxy(opts);
} catch (err) {
  fail(err);
}
