/**
 * Reads the Node flags an image runs with, from its Dockerfile's exec-form ENTRYPOINT
 * (`["node", ...flags, "/opt/dockmesh/agent.mjs"]`), so the bench runs the agent and the control
 * server the way their images do and follows them when someone tunes them. Pure.
 */

/** The arguments between `node` and the script; [] when there are none or no exec-form ENTRYPOINT. */
export function nodeFlagsFromDockerfile(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((l) => /^\s*ENTRYPOINT\s+\[/i.test(l));
  const last = lines.at(-1);
  if (!last) return [];
  let argv: unknown;
  try {
    argv = JSON.parse(last.replace(/^\s*ENTRYPOINT\s+/i, ''));
  } catch {
    return [];
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return [];
  const args = argv as string[];
  if (!/(^|\/)node$/.test(args[0] ?? '')) return [];
  const script = args.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  return args.slice(1, script < 0 ? undefined : script);
}

/**
 * The environment an image sets (`ENV KEY=VALUE ...`, values optionally in double quotes, or the
 * legacy `ENV KEY VALUE`), later lines overriding earlier ones, so the bench runs a program with
 * what its image gives it (malloc tunables, for one).
 */
export function envFromDockerfile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*ENV\s+(.+?)\s*$/i.exec(line);
    if (!m) continue;
    const rest = m[1]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
      const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(rest);
      if (legacy) env[legacy[1]!] = legacy[2]!;
      continue;
    }
    for (const pair of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[pair[1]!] = pair[3] ?? pair[2]!;
  }
  return env;
}
