/** Error catalogue of the CA: stable codes, message templates, `cause`. */
export type CaErrorCode =
  | 'MESH_ERR_CSR_INVALID'
  | 'MESH_ERR_SPIFFE_ID'
  | 'MESH_ERR_CA_STATE'
  | 'MESH_ERR_CA_ROTATION';

const MESSAGES: Record<CaErrorCode, (detail: string) => string> = {
  MESH_ERR_CSR_INVALID: (d) => `certificate signing request refused: ${d}`,
  MESH_ERR_SPIFFE_ID: (d) => `not a workload SPIFFE ID: ${d}`,
  MESH_ERR_CA_STATE: (d) => `CA directory unusable: ${d}`,
  MESH_ERR_CA_ROTATION: (d) => `CA rotation: ${d}`,
};

/** An error of the CA with a stable code. */
export class CaError extends Error {
  readonly code: CaErrorCode;
  constructor(code: CaErrorCode, detail: string, options?: { cause?: unknown }) {
    super(MESSAGES[code](detail), options);
    this.code = code;
    this.name = 'CaError';
  }
}
