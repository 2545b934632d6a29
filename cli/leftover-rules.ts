/**
 * Pure: reading `iptables-save -t nat` output for dockmesh rules, and the commands that remove
 * them (jumps into DOCKMESH_* chains first, then flush and delete the chains).
 */

/** Lines of `iptables-save` output that belong to dockmesh. */
export function dockmeshLines(save: string): string[] {
  return save.split('\n').filter((l) => /DOCKMESH/.test(l));
}

/** Shell commands (for `sh -c`) that remove every dockmesh rule and chain from the nat table. */
export function cleanupScript(save: string, iptables = 'iptables'): string {
  const cmds: string[] = [];
  const chains = new Set<string>();
  for (const line of save.split('\n')) {
    const chain = /^:(DOCKMESH_\S+)/.exec(line);
    if (chain) chains.add(chain[1]!);
    const rule = /^-A (\S+) (.*-j DOCKMESH_\S+.*)$/.exec(line);
    if (rule && !rule[1]!.startsWith('DOCKMESH_')) cmds.push(`${iptables} -t nat -D ${rule[1]} ${rule[2]}`);
  }
  for (const c of chains) cmds.push(`${iptables} -t nat -F ${c}`);
  for (const c of chains) cmds.push(`${iptables} -t nat -X ${c}`);
  return cmds.join('; ');
}
