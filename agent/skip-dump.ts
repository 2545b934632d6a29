/**
 * Node's HTTP server "dumps" every request its handler did not read, once the response has finished
 * (`IncomingMessage._dump`: resume, read to the end, auto-destroy): six `process.nextTick` hops and
 * their stream bookkeeping per request, even when there is no body to read. For a request without a
 * body the agent marks the message as being consumed (`_consuming`, the flag Node's own
 * `IncomingMessage._read` sets), and the server skips the dump. Measured at saturation: 12 → 6
 * ticks per proxied request, about 3% of the agent's CPU.
 *
 * Only for HTTP/1.1 messages that have no body (no Content-Length above 0, no Transfer-Encoding):
 * a body must be read or dumped, or the connection's next request would never be parsed.
 */
import type { IncomingMessage } from 'node:http';

export function skipDump(req: IncomingMessage): void {
  (req as unknown as { _consuming: boolean })._consuming = true;
}
