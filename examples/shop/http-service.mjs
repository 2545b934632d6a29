// Plain node:http plumbing shared by the shop's services: serve JSON, log one line per request,
// call other services forwarding the trace headers (the mesh traces, the app only passes them on).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Headers an app must copy from its inbound request onto every outbound call: the trace headers,
 * and `x-canary`, which the shop's meshfile routes on (as Istio's bookinfo forwards `end-user`).
 */
export const TRACE_HEADERS = [
  'traceparent', 'tracestate', 'baggage', 'x-request-id',
  'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags',
  'x-ot-span-context', 'x-canary',
];

const TIMEOUT_MS = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 5000);
// A new connection (and DNS lookup) per call, so that without the mesh both api versions answer.
const agent = new http.Agent({ keepAlive: false });

export function traceHeaders(req) {
  const out = {};
  for (const name of TRACE_HEADERS) if (req.headers[name] !== undefined) out[name] = req.headers[name];
  return out;
}

/** GET `url` as JSON with the inbound request's trace headers. Resolves { status, body }; rejects on network errors. */
export function getJson(url, inbound) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { accept: 'application/json', ...traceHeaders(inbound) }, timeout: TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Serves `routes` ({ 'GET /path/:id': handler(req, res, params) }) on 0.0.0.0:$PORT, plus
 * GET /healthz. A handler returns { status, body } or throws (→ 500).
 */
export function serve(service, routes) {
  const table = Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.split(' ');
    const names = [];
    const re = new RegExp(`^${path.replace(/:([a-z]+)/g, (_, n) => (names.push(n), '([^/]+)'))}$`);
    return { method, re, names, handler };
  });
  table.push({ method: 'GET', re: /^\/healthz$/, names: [], handler: () => ({ status: 200, body: { status: 'ok', service } }) });

  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    if (!req.headers['x-request-id']) req.headers['x-request-id'] = randomUUID();
    const path = (req.url ?? '/').split('?')[0];
    let result;
    try {
      const route = table.find((r) => r.method === req.method && r.re.test(path));
      if (!route) result = { status: 404, body: { error: 'not found', service, path } };
      else {
        const m = route.re.exec(path);
        const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
        result = await route.handler(req, res, params);
      }
    } catch (err) {
      result = { status: 500, body: { error: String(err?.message ?? err), service } };
    }
    sendJson(res, result.status, result.body);
    console.log(`${new Date().toISOString()} ${service} ${req.method} ${req.url} ${result.status} ${Date.now() - started}ms request_id=${req.headers['x-request-id']}`);
  });
  const port = Number(process.env.PORT ?? 8080);
  server.listen(port, '0.0.0.0', () => console.log(`${service} listening on 0.0.0.0:${port} (${hostname()})`));
  // PID 1 in its container: exit on SIGTERM instead of waiting for compose's SIGKILL.
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
  return server;
}
