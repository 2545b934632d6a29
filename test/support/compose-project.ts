/**
 * A compose project owned by one e2e test: a unique name, its own directory and network, and a
 * cleanup that removes everything it (and dockmesh) started in it.
 */
import Docker from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCommand, type CommandResult } from './run-command.ts';

export class ComposeProject {
  readonly name: string;
  readonly dir: string;
  readonly file: string;
  readonly docker = new Docker();

  constructor(prefix: string, yaml: string, dir?: string, file = 'docker-compose.yml') {
    this.name = `${prefix}${randomBytes(3).toString('hex')}`;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), `${this.name}-`));
    this.file = join(this.dir, file);
    if (!dir) writeFileSync(this.file, yaml);
  }

  /** Runs docker-compose (v1 here; v2 where it is the only one) with this project's name and file. */
  compose(args: string[], timeoutMs = 180_000): Promise<CommandResult> {
    return runCommand('docker-compose', ['-p', this.name, '-f', this.file, ...args], { cwd: this.dir, timeoutMs });
  }

  async up(): Promise<void> {
    const r = await this.compose(['up', '-d']);
    if (r.code !== 0) throw new Error(`compose up failed: ${r.stderr}`);
  }

  /** Running app containers of a compose service, by container name. */
  async containers(service?: string): Promise<Docker.ContainerInfo[]> {
    const label = ['com.docker.compose.project=' + this.name];
    if (service) label.push(`com.docker.compose.service=${service}`);
    const list = await this.docker.listContainers({ filters: { label } });
    return list.filter((c) => !c.Labels['dockmesh.role']).sort((a, b) => a.Names[0]!.localeCompare(b.Names[0]!));
  }

  /** dockmesh containers (agents, control) of this project. */
  async meshContainers(role?: 'agent' | 'control'): Promise<Docker.ContainerInfo[]> {
    const label = [`dockmesh.project=${this.name}`];
    if (role) label.push(`dockmesh.role=${role}`);
    return this.docker.listContainers({ all: true, filters: { label } });
  }

  /** IP of a container on the project's default network. */
  async ip(containerId: string): Promise<string> {
    const info = await this.docker.getContainer(containerId).inspect();
    const nets = Object.values(info.NetworkSettings.Networks);
    return nets[0]!.IPAddress;
  }

  /** Runs a command in a container; resolves stdout, rejects on a non-zero exit. */
  async exec(containerId: string, cmd: string[]): Promise<CommandResult> {
    return runCommand('docker', ['exec', containerId, ...cmd], { timeoutMs: 30_000 });
  }

  /** Removes every container of the project (dockmesh's too), its networks and directory. */
  async destroy(keepDir = false): Promise<void> {
    for (const c of await this.meshContainers()) await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
    await this.compose(['down', '-v', '--remove-orphans', '-t', '1']).catch(() => undefined);
    for (const c of await this.meshContainers()) await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
    await this.docker.getVolume(`${this.name}-mesh-state`).remove().catch(() => {});
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
