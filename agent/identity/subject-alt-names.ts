/**
 * Parses node:crypto's `X509Certificate.subjectAltName` (pure). The string is a list of `<kind>:<value>`
 * entries separated by `, ` (`URI:spiffe://cluster.local/ns/default/sa/web, DNS:web`). Since Node
 * 17.3.1 / 16.13.2 (CVE-2021-44532) a value that could be misread (it contains `,`, `"`, `\`, `'` or a
 * control or non-ASCII character) is written as a JSON string literal (`URI:"a\u002cb"`), so a
 * certificate cannot smuggle a second name into one entry; plain values never contain `"` or `,`.
 * Anything that does not follow this grammar throws: the caller refuses the certificate.
 */

export interface AltName {
  /** `URI`, `DNS`, `IP Address`, `email`, `DirName`, `Registered ID`, `othername`, … */
  kind: string;
  value: string;
}

const KIND = /[A-Za-z][A-Za-z ]*:/y;
/** A JSON string literal, exactly as ECMA-404 defines it. */
// eslint-disable-next-line no-control-regex
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SEPARATOR = ', ';

/** The entries of a `subjectAltName` string; undefined or empty (no SAN extension): none. */
export function parseSubjectAltNames(s: string | undefined): AltName[] {
  const out: AltName[] = [];
  if (!s) return out;
  let at = 0;
  for (;;) {
    KIND.lastIndex = at;
    const kind = KIND.exec(s);
    if (!kind) throw new Error(`subjectAltName: no name kind at offset ${at}`);
    at += kind[0].length;
    let value = '';
    while (at < s.length && !s.startsWith(SEPARATOR, at)) {
      if (s[at] === '"') {
        JSON_STRING.lastIndex = at;
        const literal = JSON_STRING.exec(s);
        if (!literal) throw new Error(`subjectAltName: bad quoted value at offset ${at}`);
        value += JSON.parse(literal[0]) as string;
        at += literal[0].length;
      } else {
        const quote = s.indexOf('"', at);
        const sep = s.indexOf(SEPARATOR, at);
        const stop = Math.min(quote < 0 ? s.length : quote, sep < 0 ? s.length : sep);
        const plain = s.slice(at, stop);
        // Node quotes every value with a comma: a bare one means a format this parser does not know.
        if (plain.includes(',')) throw new Error(`subjectAltName: unquoted comma at offset ${at}`);
        value += plain;
        at = stop;
      }
    }
    out.push({ kind: kind[0].slice(0, -1), value });
    if (at === s.length) return out;
    at += SEPARATOR.length;
  }
}

/** The URI entries' values, in order. */
export function uriNames(names: readonly AltName[]): string[] {
  return names.filter((n) => n.kind === 'URI').map((n) => n.value);
}
