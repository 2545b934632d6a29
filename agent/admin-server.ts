import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AgentConfigView, AgentStats } from '../wire/types.ts';
import { listenError } from './agent-error.ts';
import { PROMETHEUS_CONTENT_TYPE } from './metrics/metrics-registry.ts';
import { httpDateNow } from './utc-time.ts';

/** What the admin server shows; each call reads the live state. */
export interface AdminSource {
  ready(): { ready: boolean; reason?: string };
  /** The Prometheus text exposition (format 0.0.4). */
  metrics(): string;
  config(): AgentConfigView;
  stats(): AgentStats;
  /**
   * `GET /tap`: checks the caller's Authorization header and, when it holds the tap key, keeps `res`
   * to stream live events to (tap.ts).
   */
  tap?(authorization: string | undefined, res: ServerResponse): 'ok' | 'unauthorized' | 'busy';
}

/** The admin API on :15020: GET /ready, /metrics, /config, /stats. */
export class AdminServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(source: AdminSource) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { date: httpDateNow(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
      switch (path) {
        case '/ready': {
          const r = source.ready();
          return json(r.ready ? 200 : 503, r);
        }
        case '/config': return json(200, source.config());
        case '/tap': {
          if (!source.tap) return json(404, { error: 'not found' });
          const r = source.tap(req.headers.authorization, res);
          if (r === 'unauthorized') return json(401, { error: 'tap needs the control server\'s key' });
          if (r === 'busy') return json(429, { error: 'too many taps at once' });
          // Headers now, before the first event, so the caller knows it is tapping.
          res.writeHead(200, { date: httpDateNow(), 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
          return res.flushHeaders();
        }
        case '/stats': return json(200, source.stats());
        case '/metrics': {
          let text: string;
          try {
            text = source.metrics();
          } catch (err) {
            return json(500, { error: (err as Error).message });
          }
          res.writeHead(200, { date: httpDateNow(), 'content-type': PROMETHEUS_CONTENT_TYPE });
          return res.end(text);
        }
        default: return json(404, { error: 'not found', paths: ['/ready', '/metrics', '/config', '/stats', '/tap'] });
      }
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  /** Listens on `host:port`; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', (err) => reject(listenError(host, port, err)));
      this.#server.listen(port, host, () => {
        this.port = (this.#server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Stops the server and its connections. Idempotent. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }
}
