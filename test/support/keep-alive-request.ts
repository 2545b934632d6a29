/**
 * One HTTP/1.1 request through a node:http Agent, for tests that check connection reuse: the
 * answer's status and text, and whether the request went on a reused keep-alive socket.
 */
import { request, type Agent } from 'node:http';

export interface KeepAliveAnswer {
  status: number;
  text: string;
  reused: boolean;
}

export function keepAliveRequest(agent: Agent, port: number, o: { path: string; method?: string; body?: string }): Promise<KeepAliveAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: o.method ?? 'GET', path: o.path, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
