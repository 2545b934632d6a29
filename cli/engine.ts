/** Connects to the Docker engine, or fails with one line saying what to do. */
import Docker from 'dockerode';
import { UserError } from './errors.ts';

/** Socket path from DOCKER_HOST (unix://...) or the default. */
export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.DOCKER_HOST ?? '';
  return h.startsWith('unix://') ? h.slice('unix://'.length) : '/var/run/docker.sock';
}

export async function connectEngine(timeoutMs = 3000): Promise<Docker> {
  const path = socketPath();
  const docker = new Docker({ socketPath: path, timeout: 0 });
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), timeoutMs).unref()),
    ]);
  } catch (err) {
    throw new UserError(
      'MESH_ERR_ENGINE_UNREACHABLE',
      `Docker engine not reachable at ${path} (${(err as Error).message}): start Docker (e.g. \`sudo systemctl start docker\`, or scripts/ensure-docker.sh) and try again`,
      { cause: err },
    );
  }
  return docker;
}
