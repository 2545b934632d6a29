/**
 * The benchmark upstream, run as its own process: a minimal node:http server on 127.0.0.1 that
 * answers every request with the same body (64 bytes unless told). Prints `{"port":N}` once listening.
 * Usage: node --import tsx bench/targets/upstream-server.ts [bodyBytes]
 */
import { createServer } from 'node:http';
import { serveOnLoopback } from './serve-loopback.ts';

const bodyBytes = Number(process.argv[2] ?? 64);
const body = Buffer.alloc(bodyBytes, 'x');
body.write('dockmesh bench upstream\n');
const headers = { 'content-type': 'text/plain', 'content-length': String(bodyBytes) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
serveOnLoopback(server);
