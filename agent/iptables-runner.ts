import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { AgentError } from './agent-error.ts';
import { hasDockmeshRules, renderCleanup, renderInstall, renderUpdate, type CaptureRules } from './iptables-rules.ts';

const run = promisify(execFile);

/** Runs `iptables` / `iptables-restore` from PATH on the nat table; only ever touches DOCKMESH_* chains. */
export class IptablesRunner {
  /** `iptables -t nat -S`. */
  async list(): Promise<string> {
    try {
      const { stdout } = await run('iptables', ['-t', 'nat', '-S']);
      return stdout;
    } catch (err) {
      throw new AgentError('AGENT_ERR_IPTABLES', 'iptables -t nat -S', { cause: err });
    }
  }

  /** Feeds `text` to `iptables-restore --noflush`. */
  restore(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('iptables-restore', ['--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => reject(new AgentError('AGENT_ERR_IPTABLES', 'cannot run iptables-restore', { cause: err })));
      child.on('close', (code) => {
        if (code === 0) resolve();
        else reject(new AgentError('AGENT_ERR_IPTABLES', `iptables-restore exited ${code}: ${stderr.trim()}`));
      });
      child.stdin.end(text);
    });
  }

  /** Removes every dockmesh jump and chain; a no-op when there is none. Verifies the result. */
  async cleanup(): Promise<void> {
    for (let pass = 0; pass < 3; pass++) {
      const text = renderCleanup(await this.list());
      if (text === '') return;
      await this.restore(text);
    }
    if (hasDockmeshRules(await this.list())) {
      throw new AgentError('AGENT_ERR_IPTABLES', 'dockmesh rules remain after cleanup');
    }
  }

  /** Creates the chains and jumps with `rules` (after a cleanup). */
  install(rules: CaptureRules): Promise<void> {
    return this.restore(renderInstall(rules));
  }

  /** Replaces the contents of the dockmesh chains atomically. */
  update(rules: CaptureRules): Promise<void> {
    return this.restore(renderUpdate(rules));
  }
}
