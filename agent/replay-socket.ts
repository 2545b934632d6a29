import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * A duplex over `socket` that first yields `head` (bytes already read while sniffing). node:http2
 * reads a plain net.Socket's handle directly, so bytes pushed back with `unshift` would be lost to
 * it; through this wrapper the session reads the preface again.
 */
export function replaySocket(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  if (head.length > 0) d.push(head);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.once('end', () => d.push(null));
  socket.once('close', () => d.destroy());
  socket.on('error', (e) => d.destroy(e));
  return d;
}
