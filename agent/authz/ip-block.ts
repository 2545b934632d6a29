/**
 * IP blocks for `ipBlocks`, `remoteIpBlocks`, `source.ip`, `remote.ip`, `destination.ip` (pure):
 * a single address or a CIDR, IPv4 or IPv6. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a
 * dual-stack socket reports it) is compared as IPv4.
 */
import { isIP } from 'node:net';

/** A parsed address: family and value as a bigint (32 or 128 bits). */
export interface ParsedIp {
  v4: boolean;
  value: bigint;
}

function v4ToBigint(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBigint(ip: string): bigint {
  let text = ip;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    const q = v4ToBigint(text.slice(colon + 1));
    text = `${text.slice(0, colon + 1)}${(q >> 16n).toString(16)}:${(q & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** Parses an address (strips a `%zone`); undefined when it is not one. */
export function parseIp(text: string | undefined): ParsedIp | undefined {
  if (!text) return undefined;
  const ip = text.split('%')[0]!;
  const family = isIP(ip);
  if (family === 4) return { v4: true, value: v4ToBigint(ip) };
  if (family === 6) {
    const value = v6ToBigint(ip);
    if (value >> 32n === 0xffffn) return { v4: true, value: value & 0xffffffffn };
    return { v4: false, value };
  }
  return undefined;
}

/** Matches a parsed address (undefined: no address). */
export type IpMatcher = (ip: ParsedIp | undefined) => boolean;

/** One block; throws on an invalid one (the caller reports it). */
export function compileIpBlock(block: string): IpMatcher {
  const [addr, lenText, extra] = block.trim().split('/');
  const ip = parseIp(addr);
  if (!ip || extra !== undefined) throw new Error(`invalid IP block ${JSON.stringify(block)}`);
  const bits = ip.v4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits || (lenText !== undefined && !/^\d+$/.test(lenText))) {
    throw new Error(`invalid prefix length in ${JSON.stringify(block)}`);
  }
  const shift = BigInt(bits - len);
  const net = ip.value >> shift;
  return (x) => x !== undefined && x.v4 === ip.v4 && x.value >> shift === net;
}

/** Any of the blocks; throws on the first invalid one. */
export function compileIpBlocks(blocks: readonly string[]): IpMatcher {
  const ms = blocks.map(compileIpBlock);
  return (x) => ms.some((m) => m(x));
}
