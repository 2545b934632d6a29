/** One socket line of /proc/net/tcp or /proc/net/tcp6. */
export interface SocketEntry {
  /** Local address as the kernel prints it (hex). */
  localHex: string;
  localPort: number;
  /** Kernel TCP state; 0x0A is LISTEN. */
  state: number;
  /** Bound to a loopback address only (127.0.0.0/8, ::1 or ::ffff:127.x). */
  loopback: boolean;
}

/** A port the app listens on, and the address to reach it at when that is not loopback. */
export interface AppListener {
  port: number;
  /**
   * The app listens on this IPv4 address only (its container's address, say), so 127.0.0.1 does not
   * reach it; undefined: it listens on every address (0.0.0.0 or ::), and loopback does.
   */
  host?: string;
}

const TCP_LISTEN = 0x0a;
const V6_LOOPBACK = '00000000000000000000000001000000';
const V4_MAPPED_PREFIX = '0000000000000000FFFF0000';

function isLoopback(hex: string): boolean {
  const h = hex.toUpperCase();
  // IPv4 is printed as a little-endian 32-bit word: the first octet is the last byte.
  if (h.length === 8) return h.endsWith('7F');
  if (h === V6_LOOPBACK) return true;
  return h.startsWith(V4_MAPPED_PREFIX) && h.endsWith('7F');
}

const V4_ANY = '00000000';
const V6_ANY = '00000000000000000000000000000000';

/** IPv4 dotted quad of a 32-bit word as the kernel prints it (little-endian hex: the first octet last). */
function v4Of(word: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(word.slice(i, i + 2), 16)).join('.');
}

/**
 * The IPv4 address a listener is bound to, when it is one address (not the wildcard): a tcp line's,
 * or a tcp6 line's IPv4-mapped one. Undefined for 0.0.0.0, ::, and IPv6 addresses.
 */
export function boundV4(hex: string): string | undefined {
  const h = hex.toUpperCase();
  if (h.length === 8) return h === V4_ANY ? undefined : v4Of(h);
  if (h.length === 32 && h.startsWith(V4_MAPPED_PREFIX)) return v4Of(h.slice(24));
  return undefined;
}

const isWildcard = (hex: string): boolean => hex === V4_ANY || hex === V6_ANY;

/** Parses the text of /proc/net/tcp or /proc/net/tcp6 (pure); the header and bad lines are skipped. */
export function parseProcNetTcp(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !cols[0]!.endsWith(':')) continue;
    const local = cols[1]!;
    const colon = local.lastIndexOf(':');
    if (colon <= 0) continue;
    const localHex = local.slice(0, colon);
    const localPort = parseInt(local.slice(colon + 1), 16);
    const state = parseInt(cols[3]!, 16);
    if (!Number.isFinite(localPort) || !Number.isFinite(state)) continue;
    out.push({ localHex, localPort, state, loopback: isLoopback(localHex) });
  }
  return out;
}

/** A closed range of ports, inclusive. */
export interface PortRange {
  from: number;
  to: number;
}

/** The agent's own ports (15000-15299): never treated as app ports. */
export const AGENT_PORT_RANGE: PortRange = { from: 15000, to: 15299 };

/**
 * The app's listening ports, ascending and unique: LISTEN sockets not bound to loopback only (peers
 * cannot reach those), outside the agent's own range and not in `ownPorts` (e.g. an ephemeral admin
 * port); each with the address the agent forwards inbound traffic to: none (loopback) when some listener of the port takes every
 * address, else the first IPv4 address one is bound to. A port bound to IPv6 addresses only keeps
 * loopback (IPv6 is not captured; see docs/agent.md).
 */
export function appListeners(
  entries: SocketEntry[],
  own: PortRange = AGENT_PORT_RANGE,
  ownPorts: ReadonlySet<number> = new Set(),
): AppListener[] {
  const byPort = new Map<number, { any: boolean; v4: string | undefined }>();
  for (const e of entries) {
    if (e.state !== TCP_LISTEN || e.loopback) continue;
    if (e.localPort >= own.from && e.localPort <= own.to) continue;
    if (ownPorts.has(e.localPort)) continue;
    let seen = byPort.get(e.localPort);
    if (!seen) byPort.set(e.localPort, (seen = { any: false, v4: undefined }));
    if (isWildcard(e.localHex)) seen.any = true;
    else seen.v4 ??= boundV4(e.localHex);
  }
  return [...byPort]
    .sort(([a], [b]) => a - b)
    .map(([port, seen]) => (seen.any || seen.v4 === undefined ? { port } : { port, host: seen.v4 }));
}
