/**
 * The agent's error catalogue: every error the agent raises on purpose carries a stable code from
 * here, a message built from the code's template, and the underlying `cause` when there is one.
 */
export const AGENT_ERRORS = {
  AGENT_ERR_USAGE: (detail: string) => `invalid command line: ${detail}`,
  AGENT_ERR_SNAPSHOT_INVALID: (detail: string) => `invalid snapshot: ${detail}`,
  AGENT_ERR_SNAPSHOT_FILE: (file: string) => `cannot read snapshot file ${file}`,
  AGENT_ERR_PORTS_EXHAUSTED: (range: string) => `no free agent port left in ${range}`,
  AGENT_ERR_IPTABLES: (detail: string) => `iptables failed: ${detail}`,
  AGENT_ERR_CONTROL: (detail: string) => `control server: ${detail}`,
  AGENT_ERR_LISTEN: (where: string) => `cannot listen on ${where}`,
  AGENT_ERR_IDENTITY: (detail: string) => `workload identity: ${detail}`,
} as const;

/**
 * A listener that could not bind: with the port taken (EADDRINUSE), the message says what to do,
 * since in a container the app shares the agent's ports (docs/agent.md, Ports).
 */
export function listenError(host: string, port: number, cause: unknown): AgentError {
  const taken = (cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
  const hint = taken ? ` (port ${port} is in use in the app's network namespace: the agent reserves 15000-15299 and its admin port; move the app off it)` : '';
  return new AgentError('AGENT_ERR_LISTEN', `${host}:${port}${hint}`, { cause });
}

/** A stable error code of the agent. */
export type AgentErrorCode = keyof typeof AGENT_ERRORS;

/** An error with a stable `code` from {@link AGENT_ERRORS}. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, detail: string, options?: { cause?: unknown }) {
    super(AGENT_ERRORS[code](detail), options);
    this.name = 'AgentError';
    this.code = code;
  }
}
