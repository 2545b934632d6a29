import { setTimeout as sleep } from 'node:timers/promises';
import type { AckRequest, AgentReport, CsrRequest, CsrResponse, StreamMessage } from '../wire/types.ts';
import { AgentError } from './agent-error.ts';
import { backoffDelay } from './backoff.ts';
import { h1Call, type H1Answer, type H1CallOptions } from './h1/h1-call.ts';
import { H1Pool } from './h1/h1-pool.ts';
import { certAuthorization } from './identity/cert-authorization.ts';
import { controlTlsConnector } from './identity/control-tls.ts';
import type { IdentityMaterial } from './identity/tls-options.ts';
import { LineSplitter } from './line-splitter.ts';
import type { Logger } from './logger.ts';

/** Constructor input of {@link ControlClient}. */
export interface ControlClientOptions {
  url: string;
  token?: string;
  container: string;
  log: Logger;
  /** Applies (or rejects) a snapshot received on the stream; resolves with the ACK to send. */
  onSnapshot: (value: unknown) => Promise<AckRequest>;
  /** No byte (snapshot or ping) for this long: the stream is presumed dead and reopened. */
  idleTimeoutMs?: number;
  /**
   * The workload certificate and key once held: requests then authenticate with it (the control
   * server retires the bootstrap token the first time it sees the certificate).
   */
  credential?: () => IdentityMaterial | undefined;
  /** With an `https:` URL: the PEM roots the control server's certificate must chain to. */
  roots?: () => readonly string[];
}

/**
 * The agent's side of the control protocol: keeps the NDJSON snapshot stream open (reconnecting with
 * capped exponential backoff and jitter), ACKs or NACKs each snapshot, and posts reports.
 */
export class ControlClient {
  readonly #opts: ControlClientOptions;
  /** Path prefix of this agent's routes on the control server. */
  readonly #base: string;
  /** The agent's own HTTP/1.1 client (agent/h1/), so that an agent loads no undici for it. */
  readonly #pool: H1Pool;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  connected = false;

  constructor(opts: ControlClientOptions) {
    this.#opts = opts;
    const url = new URL(opts.url);
    if (url.protocol === 'https:' && !opts.roots) throw new AgentError('AGENT_ERR_USAGE', 'an https control URL needs the control CA');
    this.#pool = new H1Pool(url.origin, url.protocol === 'https:' ? { connect: controlTlsConnector(opts.roots!) } : {});
    this.#base = `${url.pathname.replace(/\/+$/, '')}/v1/agents/${encodeURIComponent(opts.container)}`;
  }

  #headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    const held = this.#opts.credential?.();
    if (held) h.authorization = certAuthorization(this.#opts.container, held);
    else if (this.#opts.token) h.authorization = `Bearer ${this.#opts.token}`;
    if (json) h['content-type'] = 'application/json';
    return h;
  }

  /** Starts the stream loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let received = false;
      try {
        await this.#stream(() => {
          received = true;
        });
        this.#opts.log.warn('control stream ended');
      } catch (err) {
        if (signal.aborted) break;
        this.#opts.log.warn('control stream failed', { err });
      }
      this.connected = false;
      attempt = received ? 0 : attempt + 1;
      try {
        await sleep(backoffDelay(attempt), undefined, { signal });
      } catch {
        break;
      }
    }
  }

  async #stream(onMessage: () => void): Promise<void> {
    const { body, statusCode } = await this.#request({
      path: `${this.#base}/stream`,
      method: 'GET',
      headers: this.#headers(false),
      headersTimeout: 10_000,
      bodyTimeout: this.#opts.idleTimeoutMs ?? 60_000,
    });
    if (statusCode !== 200) {
      const text = await body.text().catch(() => '');
      throw new AgentError('AGENT_ERR_CONTROL', `stream answered ${statusCode}: ${text.slice(0, 200)}`);
    }
    this.connected = true;
    const lines = new LineSplitter();
    for await (const chunk of body) {
      for (const line of lines.push(chunk)) {
        let msg: StreamMessage;
        try {
          msg = JSON.parse(line) as StreamMessage;
        } catch {
          this.#opts.log.warn('control stream: line is not JSON', { line: line.slice(0, 200) });
          continue;
        }
        onMessage();
        if (msg.type === 'snapshot') {
          const ack = await this.#opts.onSnapshot(msg.snapshot);
          await this.#post('ack', ack);
        }
      }
    }
  }

  #request(opts: Omit<H1CallOptions, 'signal'>): Promise<H1Answer> {
    return h1Call(this.#pool, { ...opts, signal: this.#abort.signal });
  }

  /** POST `payload` as JSON to `.../<what>` with the agent's token. */
  #send(what: 'ack' | 'report' | 'csr', payload: AckRequest | AgentReport | CsrRequest) {
    return this.#request({
      path: `${this.#base}/${what}`,
      method: 'POST',
      headers: this.#headers(true),
      body: JSON.stringify(payload),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
  }

  async #post(what: 'ack' | 'report', payload: AckRequest | AgentReport): Promise<void> {
    try {
      const { statusCode, body } = await this.#send(what, payload);
      await body.dump();
      if (statusCode >= 300) this.#opts.log.warn(`control ${what} answered ${statusCode}`);
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#opts.log.warn(`control ${what} failed`, { err });
    }
  }

  /** POST .../csr: the CA signs a leaf for this container's service. Rejects on any failure. */
  async csr(csrPem: string): Promise<CsrResponse> {
    const payload: CsrRequest = { csr: csrPem };
    const { statusCode, body } = await this.#send('csr', payload);
    if (statusCode !== 200) {
      const text = await body.text().catch(() => '');
      throw new AgentError('AGENT_ERR_CONTROL', `CSR answered ${statusCode}: ${text.slice(0, 200)}`);
    }
    return (await body.json()) as CsrResponse;
  }

  /** Posts an AgentReport; failures are logged, never thrown. */
  report(r: AgentReport): Promise<void> {
    return this.#post('report', r);
  }

  /** Stops the stream and every pending request. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop?.catch(() => {});
    await this.#pool.destroy().catch(() => {});
  }
}
