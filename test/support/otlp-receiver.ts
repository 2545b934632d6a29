/**
 * A minimal OTLP/HTTP traces receiver for tests: a node:http server on 127.0.0.1 that accepts
 * `POST /v1/traces` in either encoding (binary protobuf, decoded by protobufjs in
 * otlp-proto-decoder.ts, or JSON), answers `{}` and keeps every span, flattened with its resource
 * attributes. `hold` leaves requests unanswered (a collector that hangs); `status` answers valid
 * requests with another status (a collector that refuses).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeTracesProto } from './otlp-proto-decoder.ts';

type AnyValue = { stringValue?: string; intValue?: string; boolValue?: boolean; doubleValue?: number };

/** One received span, with plain attribute values and its resource's attributes. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code?: number };
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
}

function plain(kvs: Array<{ key: string; value: AnyValue }> | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of kvs ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}

export class OtlpReceiver {
  readonly server: Server;
  readonly spans: ReceivedSpan[] = [];
  /** Bodies that were not OTLP traces (should stay empty). */
  readonly rejected: string[] = [];
  requests = 0;
  /** Every request's headers and body, as received (`body`: its text; a protobuf body's decoded message as JSON). */
  readonly posts: { headers: IncomingHttpHeaders; body: string; raw: Buffer }[] = [];
  hold = false;
  status = 200;
  /** Answers for the next requests, before any other (their spans not kept): a collector that refuses for a while. */
  readonly failNext: { status: number; retryAfter?: string }[] = [];
  readonly #held: ServerResponse[] = [];
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const raw = Buffer.concat(chunks);
        const type = String(req.headers['content-type']);
        const proto = type.startsWith('application/x-protobuf');
        if (req.method !== 'POST' || req.url !== '/v1/traces' || !(proto || type.startsWith('application/json'))) {
          this.posts.push({ headers: req.headers, body: raw.toString(), raw });
          this.rejected.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
          res.writeHead(404).end();
          return;
        }
        const fail = this.failNext.shift();
        if (fail) {
          this.posts.push({ headers: req.headers, body: raw.toString(), raw });
          res.writeHead(fail.status, fail.retryAfter === undefined ? {} : { 'retry-after': fail.retryAfter }).end();
          return;
        }
        let text = raw.toString();
        try {
          const doc = proto ? decodeTracesProto(raw) : JSON.parse(text);
          if (proto) text = JSON.stringify(doc);
          this.posts.push({ headers: req.headers, body: text, raw });
          for (const rs of doc.resourceSpans ?? []) {
            const resource = plain(rs.resource?.attributes);
            for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) this.spans.push({ ...s, status: s.status ?? {}, attributes: plain(s.attributes), resource });
          }
        } catch {
          if (this.posts.at(-1)?.raw !== raw) this.posts.push({ headers: req.headers, body: text, raw });
          this.rejected.push(text.slice(0, 200));
          res.writeHead(400).end();
          return;
        }
        if (this.hold) {
          this.#held.push(res);
          return;
        }
        // An empty ExportTraceServiceResponse, in the request's encoding.
        if (proto) res.writeHead(this.status, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
        else res.writeHead(this.status, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  /** Spans of `traceId`. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    for (const r of this.#held.splice(0)) r.destroy();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
