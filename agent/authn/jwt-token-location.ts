/**
 * Where a JWTRule finds its token (pure), as Envoy's jwt_authn extractor does: headers, then query
 * parameters, then cookies; by default the `Authorization: Bearer` header and `access_token`.
 */

/** A JWTRule's `fromHeaders`, `fromParams` and `fromCookies`; all empty or absent: the defaults. */
export interface JwtLocations {
  fromHeaders?: readonly { name: string; prefix?: string }[];
  fromParams?: readonly string[];
  fromCookies?: readonly string[];
}

/** Where an extracted token was found. */
export type JwtTokenSource = { header: string } | { param: string } | { cookie: string };

/** A token as extracted, not yet parsed or verified. */
export interface ExtractedJwt {
  token: string;
  from: JwtTokenSource;
}

/** Request headers with lower-case names, as node's `IncomingMessage.headers`. */
export type JwtRequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

const DEFAULT_HEADERS = [{ name: 'authorization', prefix: 'Bearer ' }] as const;
const DEFAULT_PARAMS = ['access_token'] as const;
// Base64url plus the dot: the characters a JWT is made of.
const JWT_CHAR = /[A-Za-z0-9_.-]/;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const LEADING_SPACES = /^ +/;

function values(v: string | readonly string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/**
 * The token after a header's prefix. Envoy looks for the prefix anywhere in the value
 * (case-sensitively), then skips to the first JWT character; with none, the whole value is the token.
 */
function afterPrefix(value: string, prefix: string): string | undefined {
  if (!prefix) return value;
  const at = value.indexOf(prefix);
  if (at < 0) return undefined;
  const rest = value.slice(at + prefix.length);
  const start = rest.search(JWT_CHAR);
  return start < 0 ? value : rest.slice(start);
}

/** Envoy's PercentEncoding::decode: `%XX` only (`+` stays), each byte as one latin1 character. */
function percentDecode(text: string): string {
  return text.includes('%') ? text.replace(PERCENT_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** The first value of a query parameter (decoded; `name` alone counts as an empty value). */
function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (key === name) return eq < 0 ? '' : percentDecode(pair.slice(eq + 1));
  }
  return undefined;
}

/** A cookie's value (Envoy's forEachCookie: first occurrence wins, surrounding quotes dropped). */
function cookie(headers: JwtRequestHeaders, name: string): string | undefined {
  for (const header of values(headers.cookie)) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const key = part.slice(0, eq).replace(LEADING_SPACES, '');
      if (key !== name) continue;
      const value = part.slice(eq + 1);
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}

/**
 * The first token at the rule's locations, in Envoy's order (headers, params, cookies; each list in
 * the rule's order). `query` is the raw query string without `?`. Undefined: no token (Envoy's
 * "Jwt is missing"). A present but empty value is returned as is, to fail verification as in Envoy.
 */
export function extractJwt(headers: JwtRequestHeaders, query: string, locations: JwtLocations): ExtractedJwt | undefined {
  const configured = Boolean(locations.fromHeaders?.length || locations.fromParams?.length || locations.fromCookies?.length);
  const fromHeaders = configured ? (locations.fromHeaders ?? []) : DEFAULT_HEADERS;
  const fromParams = configured ? (locations.fromParams ?? []) : DEFAULT_PARAMS;
  for (const { name, prefix } of fromHeaders) {
    const header = name.toLowerCase();
    for (const value of values(headers[header])) {
      const token = afterPrefix(value, prefix ?? '');
      if (token !== undefined) return { token, from: { header } };
    }
  }
  for (const param of fromParams) {
    const token = queryParam(query, param);
    if (token !== undefined) return { token, from: { param } };
  }
  for (const name of configured ? (locations.fromCookies ?? []) : []) {
    const token = cookie(headers, name);
    if (token !== undefined) return { token, from: { cookie: name } };
  }
  return undefined;
}
