/**
 * Debian's Prometheus run by a test on loopback: it scrapes every agent the control server lists at
 * `/v1/sd/agents` (http_sd), every second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port on 127.0.0.1 free a moment ago. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export class HostPrometheus {
  readonly dir = mkdtempSync(join(tmpdir(), 'dm-prom-'));
  url = '';
  #child?: ChildProcess;

  /** Starts it against the control server at `controlUrl` (its API base URL); `port`: default a free one. */
  async start(controlUrl: string, port?: number): Promise<this> {
    const p = port ?? (await freePort());
    this.url = `http://127.0.0.1:${p}`;
    writeFileSync(
      join(this.dir, 'prometheus.yml'),
      `global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: dockmesh-agents
  http_sd_configs:
  - url: ${controlUrl}/v1/sd/agents
    refresh_interval: 1s
`,
    );
    this.#child = spawn('prometheus', [`--config.file=${join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${p}`], { stdio: 'ignore' });
    // A missing binary is an 'error' event: a failed test (whose after() cleans up), not an
    // uncaught exception that ends the file with what it started still running.
    await once(this.#child, 'spawn');
    return this;
  }

  /** The targets Prometheus scrapes now. */
  async targets(): Promise<Array<{ health: string; labels: Record<string, string> }>> {
    const r = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string; labels: Record<string, string> }> } };
    return r.data.activeTargets;
  }

  stop(): void {
    this.#child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
