import type { Socket } from 'node:net';

/**
 * Calls `done` once: with null when `socket` emits `ready` ('connect', or 'secureConnect' for TLS),
 * or with the error it emits first, or with `timeoutError()` after `timeoutMs`. On failure the socket
 * is destroyed first.
 */
export function awaitConnect(socket: Socket, ready: 'connect' | 'secureConnect', timeoutMs: number, timeoutError: () => Error, done: (err: Error | null) => void): void {
  let settled = false;
  const settle = (err: Error | null) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('error', settle);
    if (err) socket.destroy();
    done(err);
  };
  const timer = setTimeout(() => settle(timeoutError()), timeoutMs);
  socket.once('error', settle);
  socket.once(ready, () => settle(null));
}
