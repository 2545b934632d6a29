/**
 * The benchmark's OTLP/HTTP collector stand-in, run as its own process: a node:http server on
 * 127.0.0.1 that reads and discards every `POST /v1/traces` body and answers `{}` at once (the
 * fastest collector there can be, so the agent's own cost is what is measured). `GET /stats`
 * answers `{"requests":N,"bytes":B}`. Prints `{"port":N}` once listening.
 * Usage: node --import tsx bench/targets/otlp-sink-server.ts
 */
import { createServer } from 'node:http';
import { serveOnLoopback } from './serve-loopback.ts';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, bytes }));
    return;
  }
  req.on('data', (d: Buffer) => (bytes += d.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  });
});
serveOnLoopback(server);
