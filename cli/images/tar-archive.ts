import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';

/** One member of a tar archive (a build context or a root filesystem). Paths have no leading `/`. */
export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; contents: Uint8Array | string }
  /** A host file, read when the archive is streamed (symlinks followed). */
  | { type: 'file'; path: string; mode?: number; source: string }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value);
  if (bytes.length > length) throw new ImageError(IMAGE_ERROR_CODES.source, `tar field too long: ${value}`);
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, '0'));
}

/**
 * Splits a path into ustar's `prefix` (≤155 bytes) and `name` (≤100 bytes) at a `/`; undefined
 * when it does not fit (then a PAX header carries it).
 */
export function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  return undefined;
}

/** A PAX record `"<len> <key>=<value>\n"`, whose length counts its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** The PAX extended header an entry needs (long path or link target), or undefined. */
export function paxHeaderFor(entry: TarEntry): Buffer | undefined {
  const path = entryPath(entry);
  let records = '';
  if (!splitUstarPath(path)) records += paxRecord('path', path);
  if (entry.type === 'symlink' && Buffer.byteLength(entry.target) > 100) records += paxRecord('linkpath', entry.target);
  return records ? Buffer.from(records) : undefined;
}

function entryPath(entry: TarEntry): string {
  return entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
}

function truncate(value: string, bytes: number): string {
  let v = value;
  while (Buffer.byteLength(v) > bytes) v = v.slice(0, -1);
  return v;
}

/**
 * A ustar header block. Owner root, mtime 0: the archive depends only on names, modes and
 * contents, so the same inputs give the same bytes (and Docker's build cache stays valid).
 */
export function tarHeader(entry: TarEntry, size: number, type?: 'x'): Buffer {
  const buf = Buffer.alloc(BLOCK);
  const path = entryPath(entry);
  const { prefix, name } = splitUstarPath(path) ?? { prefix: '', name: truncate(path, 100) };
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  writeString(buf, 0, 100, name);
  writeOctal(buf, 100, 8, mode);
  writeOctal(buf, 108, 8, 0);
  writeOctal(buf, 116, 8, 0);
  writeOctal(buf, 124, 12, entry.type === 'file' || type ? size : 0);
  writeOctal(buf, 136, 12, 0);
  buf.fill(' ', 148, 156);
  buf.write(type ?? (entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2'), 156);
  if (entry.type === 'symlink' && !type) writeString(buf, 157, 100, truncate(entry.target, 100));
  buf.write('ustar\u000000', 257, 'binary');
  writeString(buf, 265, 32, 'root');
  writeString(buf, 297, 32, 'root');
  writeString(buf, 345, 155, prefix);
  let sum = 0;
  for (const b of buf) sum += b;
  writeString(buf, 148, 8, `${sum.toString(8).padStart(6, '0')}\u0000 `);
  return buf;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

async function* generate(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const pax = paxHeaderFor(entry);
    if (pax) {
      yield tarHeader({ type: 'file', path: truncate(`PaxHeaders/${entry.path}`, 100), mode: 0o644, contents: '' }, pax.length, 'x');
      yield pax;
      yield padding(pax.length);
    }
    if (entry.type !== 'file') {
      yield tarHeader(entry, 0);
      continue;
    }
    if ('contents' in entry) {
      const bytes = typeof entry.contents === 'string' ? Buffer.from(entry.contents) : Buffer.from(entry.contents);
      yield tarHeader(entry, bytes.length);
      yield bytes;
      yield padding(bytes.length);
      continue;
    }
    const { size } = await stat(entry.source);
    yield tarHeader(entry, size);
    let read = 0;
    if (size > 0) {
      for await (const chunk of createReadStream(entry.source, { end: size - 1 }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        yield chunk;
      }
    }
    if (read !== size) throw new ImageError(IMAGE_ERROR_CODES.source, `${entry.source} changed while it was being archived`);
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** Streams `entries` as a tar archive, reading host files as it goes. */
export function tarArchive(entries: readonly TarEntry[]): Readable {
  return Readable.from(generate(entries), { objectMode: false });
}
