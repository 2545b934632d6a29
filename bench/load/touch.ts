/**
 * A few sequential keep-alive requests, to get a target past its lazy start-up before its idle
 * memory is read. Not a load: no figures come from it.
 */
import { Agent, request } from 'node:http';

export async function touch(port: number, host: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}
