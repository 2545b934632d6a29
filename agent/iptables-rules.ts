import { AGENT_UID } from '../wire/types.ts';

/** The nat chains dockmesh owns; nothing outside them is ever flushed. */
export const CHAINS = { inbound: 'DOCKMESH_INBOUND', output: 'DOCKMESH_OUTPUT' } as const;

/** Prefix of every dockmesh chain: cleanup removes all chains and jumps that carry it. */
export const CHAIN_PREFIX = 'DOCKMESH_';

/** Inbound capture of one app port: TCP to `port` goes to the agent's listener `to`. */
export interface InboundRedirect {
  port: number;
  to: number;
}

/** Outbound capture of one meshed destination: TCP to `address:port` goes to the agent's listener `to`. */
export interface OutboundRedirect {
  address: string;
  port: number;
  to: number;
}

/** The complete desired capture state; the proxy sends it whole on every change. */
export interface CaptureRules {
  inbound: InboundRedirect[];
  outbound: OutboundRedirect[];
}

function chainBodies(rules: CaptureRules, uid: number): string[] {
  const lines = [`:${CHAINS.inbound} - [0:0]`, `:${CHAINS.output} - [0:0]`];
  for (const r of rules.inbound) {
    lines.push(`-A ${CHAINS.inbound} -p tcp --dport ${r.port} -j REDIRECT --to-ports ${r.to}`);
  }
  lines.push(`-A ${CHAINS.output} -m owner --uid-owner ${uid} -j RETURN`);
  lines.push(`-A ${CHAINS.output} -d 127.0.0.0/8 -j RETURN`);
  for (const r of rules.outbound) {
    lines.push(`-A ${CHAINS.output} -d ${r.address}/32 -p tcp --dport ${r.port} -j REDIRECT --to-ports ${r.to}`);
  }
  return lines;
}

/**
 * `iptables-restore --noflush` input that creates the dockmesh chains, fills them and adds the jumps
 * from PREROUTING and OUTPUT. Only valid on a namespace that has been cleaned first.
 */
export function renderInstall(rules: CaptureRules, uid = AGENT_UID): string {
  const [decl1, decl2, ...body] = chainBodies(rules, uid);
  return [
    '*nat',
    decl1,
    decl2,
    `-A PREROUTING -p tcp -j ${CHAINS.inbound}`,
    `-A OUTPUT -p tcp -j ${CHAINS.output}`,
    ...body,
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * `iptables-restore --noflush` input that replaces the contents of both dockmesh chains in one
 * transaction (a chain declared in restore input is flushed), leaving the jumps alone.
 */
export function renderUpdate(rules: CaptureRules, uid = AGENT_UID): string {
  return ['*nat', ...chainBodies(rules, uid), 'COMMIT', ''].join('\n');
}

const JUMP = /^-A (\S+) (.*)-j (DOCKMESH_\S+)\s*$/;

/**
 * From `iptables -t nat -S` output, the `iptables-restore --noflush` input that deletes every jump into
 * a dockmesh chain (each copy of it), then flushes and deletes every dockmesh chain; '' when there is
 * nothing to remove.
 */
export function renderCleanup(listing: string): string {
  const deletes: string[] = [];
  const chains: string[] = [];
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(`-N ${CHAIN_PREFIX}`)) {
      chains.push(line.slice(3).trim());
      continue;
    }
    const m = JUMP.exec(line);
    if (m && !m[1]!.startsWith(CHAIN_PREFIX)) deletes.push(`-D ${line.slice(3)}`);
  }
  if (deletes.length === 0 && chains.length === 0) return '';
  return [
    '*nat',
    ...deletes,
    ...chains.map((c) => `-F ${c}`),
    ...chains.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** True when an `iptables -t nat -S` listing still holds any dockmesh chain or jump. */
export function hasDockmeshRules(listing: string): boolean {
  return listing.includes(CHAIN_PREFIX);
}
