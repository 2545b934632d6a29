/** Error catalogue of the control server: stable codes, message templates, `cause`. */
export type ControlErrorCode =
  | 'MESH_ERR_ENGINE_UNREACHABLE'
  | 'MESH_ERR_UNAUTHORIZED'
  | 'MESH_ERR_UNKNOWN_AGENT'
  | 'MESH_ERR_INJECT_FAILED'
  | 'MESH_ERR_BAD_REQUEST';

const MESSAGES: Record<ControlErrorCode, (detail: string) => string> = {
  MESH_ERR_ENGINE_UNREACHABLE: (d) => `Docker engine not reachable: ${d}`,
  MESH_ERR_UNAUTHORIZED: (d) => `unauthorized: ${d}`,
  MESH_ERR_UNKNOWN_AGENT: (d) => `no such agent: ${d}`,
  MESH_ERR_INJECT_FAILED: (d) => `could not attach agent: ${d}`,
  MESH_ERR_BAD_REQUEST: (d) => `bad request: ${d}`,
};

/** An error of the control server with a stable code. */
export class ControlError extends Error {
  readonly code: ControlErrorCode;
  constructor(code: ControlErrorCode, detail: string, options?: { cause?: unknown }) {
    super(MESSAGES[code](detail), options);
    this.code = code;
    this.name = 'ControlError';
  }
}
