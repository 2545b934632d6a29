/**
 * The benchmark upstream, run as its own process: a minimal node:http server on 127.0.0.1 that
 * answers every request with the same body (64 bytes unless told). Prints `{"port":N}` once listening.
 * Usage: node --import tsx bench/targets/upstream-server.ts [bodyBytes]
 */
import { createServer } from 'node:http';

const bodyBytes = Number(process.argv[2] ?? 64);
const body = Buffer.alloc(bodyBytes, 'x');
body.write('dockmesh bench upstream\n');
const headers = { 'content-type': 'text/plain', 'content-length': String(bodyBytes) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
// Proxies keep idle upstream connections between runs; do not close them under their feet.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
