import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Default bound on one export request, connect to last response byte. */
export const EXPORT_TIMEOUT_MS = 5000;

/**
 * POSTs OTLP/JSON bodies to a collector's traces URL (e.g. `http://jaeger:4318/v1/traces`) over one
 * keep-alive connection. A request that takes longer than `timeoutMs` is destroyed and fails; any
 * answer but 2xx fails.
 */
export class OtlpHttpSender {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(endpoint: string, timeoutMs = EXPORT_TIMEOUT_MS) {
    this.#url = new URL(endpoint);
    this.#timeoutMs = timeoutMs;
    const https = this.#url.protocol === 'https:';
    this.#agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.#request = https ? httpsRequest : httpRequest;
  }

  /** Sends one body, the concatenation of `chunks`; resolves on 2xx. */
  send(chunks: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let length = 0;
      for (const c of chunks) length += c.length;
      let settled = false;
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const req = this.#request(this.#url, {
        method: 'POST',
        agent: this.#agent,
        headers: { 'content-type': 'application/json', 'content-length': length },
      });
      const timer = setTimeout(() => {
        done(new Error(`no answer in ${this.#timeoutMs} ms`));
        req.destroy();
      }, this.#timeoutMs);
      req.on('error', (err) => done(err));
      req.on('response', (res) => {
        res.on('error', () => {});
        res.on('close', () => done(new Error('answer cut short')));
        res.on('end', () => {
          const s = res.statusCode ?? 0;
          done(s >= 200 && s < 300 ? undefined : new Error(`collector answered ${s}`));
        });
        res.resume();
      });
      req.cork();
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.#agent.destroy();
  }
}
