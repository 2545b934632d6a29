import { fork, type ChildProcess } from 'node:child_process';
import { AGENT_UID } from '../wire/types.ts';
import { PROXY_CHILD_FLAG } from './agent-options.ts';
import type { CaptureMessage } from './capture-messages.ts';
import type { CaptureRules } from './iptables-rules.ts';
import type { IptablesRunner } from './iptables-runner.ts';
import type { Logger } from './logger.ts';

/** Constructor input of {@link CaptureManager}. */
export interface CaptureManagerOptions {
  runner: IptablesRunner;
  log: Logger;
  /** Script and arguments of the proxy child (the same entry point). */
  script: string;
  args: string[];
  uid?: number;
  graceMs?: number;
}

const EMPTY: CaptureRules = { inbound: [], outbound: [] };

/**
 * Container mode, as root: cleans any dockmesh rules left behind, installs the chains, forks the proxy
 * as UID 1337 and applies the rule sets it asks for. On SIGTERM/SIGINT or child exit: drains the
 * child, removes every dockmesh rule and chain, and resolves with the exit code.
 */
export class CaptureManager {
  readonly #o: CaptureManagerOptions;
  #child: ChildProcess | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(opts: CaptureManagerOptions) {
    this.#o = opts;
  }

  /** Runs until the proxy is gone and the rules are removed; resolves with the process exit code. */
  async run(): Promise<number> {
    const { runner, log } = this.#o;
    await runner.cleanup();
    try {
      await runner.install(EMPTY);
    } catch (err) {
      await runner.cleanup().catch(() => {});
      throw err;
    }
    log.info('capture chains installed');
    const uid = this.#o.uid ?? AGENT_UID;
    const child = fork(this.#o.script, [...this.#o.args, PROXY_CHILD_FLAG], {
      uid,
      gid: uid,
      execArgv: process.execArgv,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    child.on('message', (m: CaptureMessage) => {
      if (m?.type === 'rules') this.#apply(m.id, m.rules);
    });
    const stop = () => this.#stop();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const code = await new Promise<number>((resolve) => {
      child.once('exit', (c) => resolve(this.#stopping && c === 0 ? 0 : c ? c : 1));
      child.once('error', (err) => {
        log.error('cannot start the proxy', { err });
        resolve(1);
      });
    });
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await this.#queue;
    if (!this.#stopping) log.error('proxy exited on its own', { code });
    try {
      await runner.cleanup();
      log.info('capture rules removed');
    } catch (err) {
      log.error('capture cleanup failed', { err });
      return 1;
    }
    return code;
  }

  #apply(id: number, rules: CaptureRules): void {
    this.#queue = this.#queue.then(async () => {
      let reply: CaptureMessage;
      try {
        await this.#o.runner.update(rules);
        reply = { type: 'rules-result', id, ok: true };
      } catch (err) {
        this.#o.log.error('applying capture rules failed', { err });
        reply = { type: 'rules-result', id, ok: false, error: (err as Error).message };
      }
      if (this.#child?.connected) this.#child.send(reply);
    });
  }

  #stop(): void {
    const child = this.#child;
    if (this.#stopping || !child) return;
    this.#stopping = true;
    const graceMs = this.#o.graceMs ?? 5000;
    if (child.connected) child.send({ type: 'drain', graceMs } satisfies CaptureMessage);
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 1500);
    kill.unref();
    child.once('exit', () => clearTimeout(kill));
  }
}
