/** A GET to a bench process's HTTP port on 127.0.0.1 (admin /metrics and /stats, the OTLP sink's /stats). */
import { request } from 'node:http';

/** The body as text; rejects on a connection error or when nothing answers within 5 s. */
export function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

/** The body parsed as JSON. */
export async function getJson(port: number, path: string): Promise<unknown> {
  return JSON.parse(await getText(port, path)) as unknown;
}
