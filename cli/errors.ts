/**
 * The CLI's user errors: one line, no stack trace, a stable code and an exit status
 * (corepack's UsageError). docs/cli.md lists the statuses.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noProject: 3,
  engine: 4,
  notReady: 5,
  notRunning: 6,
  meshfileErrors: 7,
  meshfileWarnings: 8,
} as const;

export type CliErrorCode =
  | 'MESH_ERR_USAGE'
  | 'MESH_ERR_NO_PROJECT'
  | 'MESH_ERR_ENGINE_UNREACHABLE'
  | 'MESH_ERR_NOT_READY'
  | 'MESH_ERR_NOT_RUNNING'
  | 'MESH_ERR_LEFTOVER_RULES'
  | 'MESH_ERR_IMAGE_BUILD';

const STATUS: Record<CliErrorCode, number> = {
  MESH_ERR_USAGE: EXIT.usage,
  MESH_ERR_NO_PROJECT: EXIT.noProject,
  MESH_ERR_ENGINE_UNREACHABLE: EXIT.engine,
  MESH_ERR_NOT_READY: EXIT.notReady,
  MESH_ERR_NOT_RUNNING: EXIT.notRunning,
  MESH_ERR_LEFTOVER_RULES: EXIT.failure,
  MESH_ERR_IMAGE_BUILD: EXIT.failure,
};

/** An error meant for the user: printed as one line, mapped to an exit status. */
export class UserError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: number;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = STATUS[code];
    this.name = 'UserError';
  }
}
