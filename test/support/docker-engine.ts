/**
 * The gate every e2e suite starts with: is there a Docker engine to test against?
 *
 *   const engine = await requireEngine();
 *   const test = suite('…');
 *   if (engine) { test('…', async () => { … }); } else test.skip('needs a Docker engine', () => {});
 *   test.run();
 *
 * Without an engine: under MESH_E2E=required (CI) it throws, so the file fails loudly; otherwise it
 * prints a loud SKIPPED notice and returns false, and the suite registers no real tests.
 */
import Docker from 'dockerode';

/** How long the engine gets to answer a ping. */
export const ENGINE_PING_MS = 3000;

let cached: Promise<boolean> | undefined;

async function ping(docker: Docker, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

function banner(lines: string[]): string {
  const bar = '#'.repeat(78);
  return `\n${bar}\n${lines.map((l) => `## ${l}`).join('\n')}\n${bar}\n`;
}

/**
 * Resolves true when the Docker engine (DOCKER_HOST or the default socket) answers. Otherwise
 * throws under MESH_E2E=required, else prints a SKIPPED notice to stderr and resolves false.
 * Memoised per process.
 */
export function requireEngine(docker: Docker = new Docker()): Promise<boolean> {
  cached ??= (async () => {
    const why = await ping(docker, ENGINE_PING_MS);
    if (!why) return true;
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    if (process.env.MESH_E2E === 'required') {
      process.stderr.write(banner([
        `FAILED: MESH_E2E=required but the Docker engine at ${where} does not answer: ${why}`,
        'Start it with scripts/ensure-docker.sh.',
      ]));
      throw new Error(`MESH_E2E=required and no Docker engine answers at ${where}: ${why}`);
    }
    process.stderr.write(banner([
      `SKIPPED: ${process.argv[1] ?? 'this e2e suite'}`,
      `no Docker engine answers at ${where}: ${why}`,
      'Start one with scripts/ensure-docker.sh; set MESH_E2E=required to make this a failure.',
    ]));
    return false;
  })();
  return cached;
}
