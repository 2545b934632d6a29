/**
 * Memory of the agent containers `mesh up` made, idle: what `docker stats` shows for each (its
 * cgroup, both of its processes) and, where the engine shares this machine's kernel, each process's
 * RSS and private part from /proc. Pure functions first, the Docker I/O at the end.
 */
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import type { SidecarMemory, SidecarRole } from '../model.ts';
import { parseProcStatus } from '../proc/proc-stat.ts';
import { AGENT_UID, LABELS } from '../../wire/types.ts';

/** The memory part of Docker's container stats. */
export interface DockerMemoryStats {
  usage?: number;
  stats?: Record<string, number>;
}

/**
 * The figure `docker stats` prints, bytes: the cgroup's usage less its inactive file cache
 * (`total_inactive_file` with cgroup v1, `inactive_file` with v2), as the docker CLI computes it.
 */
export function dockerStatsUsage(m: DockerMemoryStats): number {
  const usage = m.usage ?? 0;
  const v1 = m.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m.stats?.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

/** A process of an agent container by its UID: the proxy runs as {@link AGENT_UID}, the capture manager as root. */
export function sidecarRole(uid: number): SidecarRole | undefined {
  return uid === AGENT_UID ? 'proxy' : uid === 0 ? 'capture-manager' : undefined;
}

/** `docker top` rows (`-o pid,uid`) as host PIDs with their roles. */
export function sidecarProcesses(rows: readonly string[][]): Array<{ pid: number; role: SidecarRole }> {
  const out: Array<{ pid: number; role: SidecarRole }> = [];
  for (const [pid, uid] of rows) {
    const role = sidecarRole(Number(uid));
    if (role && Number.isInteger(Number(pid))) out.push({ pid: Number(pid), role });
  }
  return out;
}

/** Each agent container of `project`, as it is now. */
export async function measureSidecars(docker: Docker, project: string): Promise<SidecarMemory[]> {
  const containers = await docker.listContainers({ filters: { label: [`${LABELS.project}=${project}`, `${LABELS.role}=agent`] } });
  const out: SidecarMemory[] = [];
  for (const c of containers) {
    const container = docker.getContainer(c.Id);
    const stats = (await container.stats({ stream: false })) as { memory_stats?: DockerMemoryStats };
    const m: SidecarMemory = { usageKb: Math.round(dockerStatsUsage(stats.memory_stats ?? {}) / 1024) };
    const top = (await container.top({ ps_args: '-o pid,uid' })) as { Processes?: string[][] };
    try {
      const processes = sidecarProcesses(top.Processes ?? []).map((p) => {
        // A PID of an engine in a VM (Docker Desktop) may name another process here.
        if (!readFileSync(`/proc/${p.pid}/cgroup`, 'utf8').includes(c.Id)) throw new Error('not this container');
        const st = parseProcStatus(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        return { role: p.role, rssKb: st.vmRssKb, anonKb: st.rssAnonKb };
      });
      if (processes.length) m.processes = processes;
    } catch {
      // The engine's processes are not in this machine's /proc: docker stats' figure only.
    }
    out.push(m);
  }
  return out;
}
