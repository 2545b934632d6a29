/**
 * Runs a short-lived root container in an app container's network namespace (the agent image has
 * iptables) to read, or clean, the nat table. Used by `mesh down` to verify no rule is left.
 */
import type Docker from 'dockerode';
import { LABELS } from '../wire/types.ts';

/** Runs `script` with sh in the network namespace of `container`; resolves its stdout. */
export async function runInNamespace(docker: Docker, image: string, container: string, script: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c'],
    Cmd: [script],
    User: '0',
    Labels: { [LABELS.role]: 'probe' },
    HostConfig: { NetworkMode: `container:${container}`, CapAdd: ['NET_ADMIN'], AutoRemove: false },
  });
  try {
    await c.start();
    await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
    return demux(logs);
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

/** Strips Docker's 8-byte multiplexing headers from a non-TTY log buffer. */
function demux(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return out;
}

export const SAVE_NAT = 'iptables-save -t nat 2>/dev/null; command -v iptables-legacy-save >/dev/null && iptables-legacy-save -t nat 2>/dev/null; true';
