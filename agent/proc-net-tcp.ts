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
 * The app's listening ports, ascending and unique: LISTEN sockets not bound to loopback only
 * (peers cannot reach those), outside the agent's own range and not in `ownPorts` (e.g. an
 * ephemeral admin port).
 */
export function appListeningPorts(
  entries: SocketEntry[],
  own: PortRange = AGENT_PORT_RANGE,
  ownPorts: ReadonlySet<number> = new Set(),
): number[] {
  const ports = new Set<number>();
  for (const e of entries) {
    if (e.state !== TCP_LISTEN || e.loopback) continue;
    if (e.localPort >= own.from && e.localPort <= own.to) continue;
    if (ownPorts.has(e.localPort)) continue;
    ports.add(e.localPort);
  }
  return [...ports].sort((a, b) => a - b);
}
