/**
 * The life of a bench server process (the upstream, the OTLP sink): listen on an ephemeral
 * loopback port, print `{"port":N}` once listening (the parent reads it), close on SIGTERM.
 */
import type { Server } from 'node:http';

export function serveOnLoopback(server: Server): void {
  // Proxies keep idle connections between runs; do not close them under their feet.
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
}
