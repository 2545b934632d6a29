/**
 * The meshfile's diagnostics catalogue: stable codes, their severity and scope, and one-line
 * message templates. Codes never change meaning; new problems get new codes.
 *
 * Scope says what an error does:
 * - `file`: the meshfile as a whole is invalid (`valid: false`); the caller keeps the last good config.
 * - `object`: the one document is disabled and reported; the rest of the file still applies.
 */

export type Severity = 'error' | 'warning';
export type Scope = 'file' | 'object' | 'none';

interface CodeInfo {
  severity: Severity;
  scope: Scope;
  /** What the code means, for docs/meshfile.md and `mesh check --explain`. */
  summary: string;
}

export const MESHFILE_CODES = {
  MESH_ERR_FILE_TOO_LARGE: { severity: 'error', scope: 'file', summary: 'The meshfile is larger than the size cap (1 MiB).' },
  MESH_ERR_YAML_SYNTAX: { severity: 'error', scope: 'file', summary: 'The text is not valid YAML.' },
  MESH_ERR_DUPLICATE_KEY: { severity: 'error', scope: 'file', summary: 'A mapping has the same key twice.' },
  MESH_ERR_ALIAS_BOMB: { severity: 'error', scope: 'file', summary: 'Aliases expand to too many nodes (a "billion laughs" document).' },
  MESH_ERR_NOT_A_MAPPING: { severity: 'error', scope: 'file', summary: 'A document is not a YAML mapping.' },
  MESH_ERR_UNKNOWN_KIND: { severity: 'error', scope: 'file', summary: 'The document\'s kind is not one the meshfile accepts.' },
  MESH_ERR_UNSUPPORTED_API_VERSION: { severity: 'error', scope: 'file', summary: 'The apiVersion does not serve this kind.' },
  MESH_ERR_MISSING_FIELD: { severity: 'error', scope: 'file', summary: 'A required field is missing.' },
  MESH_ERR_UNKNOWN_FIELD: { severity: 'error', scope: 'file', summary: 'A field that the kind\'s schema does not have (often a typo).' },
  MESH_ERR_WRONG_TYPE: { severity: 'error', scope: 'file', summary: 'A value has the wrong type (e.g. a number where a string is expected).' },
  MESH_ERR_BAD_ENUM: { severity: 'error', scope: 'file', summary: 'A value is not one of the allowed values.' },
  MESH_ERR_OUT_OF_RANGE: { severity: 'error', scope: 'file', summary: 'A number is outside its allowed range.' },
  MESH_ERR_BAD_VALUE: { severity: 'error', scope: 'file', summary: 'A value does not have the required form (pattern, length, format).' },
  MESH_ERR_ONE_OF: { severity: 'error', scope: 'file', summary: 'Mutually exclusive fields are set together, or none of a required choice is set.' },
  MESH_ERR_BAD_DURATION: { severity: 'error', scope: 'file', summary: 'A duration is not a duration string like `30s`, `1.5s`, `100ms` (at least 1ms).' },
  MESH_ERR_WEIGHT_SUM: { severity: 'error', scope: 'file', summary: 'The weights of a route with several destinations do not sum to 100.' },
  MESH_ERR_BAD_REGEX: { severity: 'error', scope: 'file', summary: 'A regex does not compile, or uses syntax RE2 (Istio) or JavaScript (dockmesh) lacks.' },
  MESH_ERR_BAD_HOST: { severity: 'error', scope: 'file', summary: 'A host is not a service name dockmesh can route (wildcards, IP addresses, empty).' },
  MESH_ERR_DUPLICATE_NAME: { severity: 'error', scope: 'file', summary: 'Two documents of one kind share namespace and name, or two subsets of one DestinationRule share a name.' },
  MESH_ERR_ROUTE_ACTION: { severity: 'error', scope: 'file', summary: 'An HTTP route needs exactly one of route, redirect, directResponse, and rewrite cannot go with redirect.' },
  MESH_ERR_BAD_RETRY_ON: { severity: 'error', scope: 'file', summary: 'A retryOn condition is not an Envoy retry policy or an HTTP status code.' },
  MESH_ERR_BAD_HEADER_NAME: { severity: 'error', scope: 'file', summary: 'A header name to match is not lower case (Istio requires lower case).' },
  MESH_ERR_BAD_LABEL: { severity: 'error', scope: 'file', summary: 'A dockmesh label of a compose service has a value dockmesh cannot use (`mesh check` reads the compose file); the container is meshed without it.' },
  MESH_ERR_UNKNOWN_HOST: { severity: 'error', scope: 'object', summary: 'A host names no service of the project; the document is disabled.' },
  MESH_ERR_UNKNOWN_SUBSET: { severity: 'error', scope: 'object', summary: 'A route sends traffic to a subset that no container matches; the document is disabled.' },
  MESH_ERR_UNDEFINED_SUBSET: { severity: 'error', scope: 'object', summary: 'A route names a subset that no DestinationRule of that host defines; the document is disabled.' },
  MESH_ERR_UNKNOWN_TEMPLATE: { severity: 'error', scope: 'object', summary: 'A Canary metric\'s templateRef names no MetricTemplate of the meshfile; the Canary is disabled.' },
  MESH_WARN_UNKNOWN_PROVIDER: { severity: 'warning', scope: 'none', summary: 'A Canary alert\'s providerRef names no AlertProvider of the meshfile; that alert is not sent.' },
  MESH_ERR_HOST_CONFLICT: { severity: 'error', scope: 'object', summary: 'A second VirtualService (or DestinationRule) for a host already configured; the later document is disabled.' },
  MESH_WARN_UNSUPPORTED_FIELD: { severity: 'warning', scope: 'none', summary: 'A valid Istio/Flagger field that dockmesh parses but does not act on yet.' },
  MESH_WARN_UNSUPPORTED_VALUE: { severity: 'warning', scope: 'none', summary: 'A valid value that dockmesh does not act on (e.g. gateway-only routes, CUSTOM authorization).' },
  MESH_WARN_DEPRECATED: { severity: 'warning', scope: 'none', summary: 'A field or value Istio deprecates; dockmesh applies it as Istio does.' },
  MESH_WARN_ROUTE_SHADOWED: { severity: 'warning', scope: 'none', summary: 'An HTTP route can never match: an earlier route matches every request.' },
  MESH_WARN_EMPTY_SUBSET: { severity: 'warning', scope: 'none', summary: 'A DestinationRule subset matches no container (yet).' },
  MESH_WARN_DELEGATE: { severity: 'warning', scope: 'none', summary: 'A VirtualService delegation that does not apply: the delegate is missing or not exported to the root, a delegate route matches outside its root route (left out), or no root delegates to a VirtualService without hosts.' },
  MESH_WARN_NOT_VISIBLE: { severity: 'warning', scope: 'none', summary: 'A DestinationRule that no client\'s lookup reaches (its namespace, exportTo and Istio\'s lookup path leave every workload out).' },
  MESH_WARN_SELECTOR_MATCHES_NOTHING: { severity: 'warning', scope: 'none', summary: 'A selector or Canary target matches no workload (yet).' },
} as const satisfies Record<string, CodeInfo>;

export type MeshfileCode = keyof typeof MESHFILE_CODES;

/** One problem found in a meshfile. Line and column are 1-based. */
export interface Diagnostic {
  severity: Severity;
  code: MeshfileCode;
  message: string;
  file: string;
  line: number;
  column: number;
  /** Kind and name of the document, when the problem is inside one. */
  kind?: string;
  name?: string;
  /** JSON path inside the document, e.g. `spec.http[0].route[1].weight`. */
  path?: string;
}

/** Severity of a code. */
export function severityOf(code: MeshfileCode): Severity {
  return MESHFILE_CODES[code].severity;
}

/** Scope of a code's error: the whole file, the one document, or none (warnings). */
export function scopeOf(code: MeshfileCode): Scope {
  return MESHFILE_CODES[code].scope;
}

/** `file:line:column: severity CODE message` — the one-line form the CLI and the log print. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.kind ? ` [${d.kind}${d.name ? ` ${d.name}` : ''}${d.path ? ` ${d.path}` : ''}]` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}${where}`;
}
