/**
 * Which layer refuses an ambiguous request, on a real node:http server fed raw bytes: Node's parser
 * (llhttp, strict: 400 before any request object), Node's http server (400 without Host), or
 * dockmesh's canonical checks (checkAmbiguity + normalizePath, 400 and close). A request the app sees
 * is one no layer refused. If a Node upgrade moves a case between layers, this table fails and
 * docs/security.md must be updated with it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { checkAmbiguity } from '../../../agent/canonical/check-ambiguity.ts';
import { normalizePath } from '../../../agent/canonical/normalize-path.ts';

type Layer = 'parser' | 'node-http' | 'dockmesh' | 'app';

const cases: Array<[name: string, raw: string, layer: Layer]> = [
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'parser'],
  ['duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 'parser'],
  ['Content-Length list "5, 5"', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello', 'parser'],
  ['duplicate Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'parser'],
  ['Transfer-Encoding: gzip (not chunked)', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n', 'dockmesh'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n', 'parser'],
  ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\nX-A: b\n\n', 'parser'],
  ['bare LF inside a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nb\r\n\r\n', 'parser'],
  ['bare CR inside a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n', 'parser'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n', 'parser'],
  ['NUL in the target', 'GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n', 'parser'],
  ['white space before the colon', 'GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n', 'parser'],
  ['lower-case method', 'get / HTTP/1.1\r\nHost: a\r\n\r\n', 'parser'],
  ['raw non-ASCII in the target', 'GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n', 'parser'],
  ['no Host (HTTP/1.1)', 'GET / HTTP/1.1\r\n\r\n', 'node-http'],
  ['%00 in the path', 'GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n', 'dockmesh'],
  ['fragment in the target', 'GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n', 'dockmesh'],
  ['absolute-form naming another host', 'GET http://admin/x HTTP/1.1\r\nHost: api\r\n\r\n', 'dockmesh'],
  ['two Host headers (Node keeps the first)', 'GET / HTTP/1.1\r\nHost: api\r\nHost: admin\r\n\r\n', 'dockmesh'],
  ['absolute-form agreeing with Host', 'GET http://api/x HTTP/1.1\r\nHost: api\r\n\r\n', 'app'],
  ['backslash in the path (normalized to /)', 'GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n', 'app'],
  ['plain GET', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'app'],
];

let server: http.Server;
let port: number;
const seenByApp: string[] = [];

test.before(async () => {
  server = http.createServer((req, res) => {
    const target = req.url!.startsWith('/') ? req.url! : (() => {
      try {
        const u = new URL(req.url!);
        return u.pathname + u.search;
      } catch {
        return req.url!;
      }
    })();
    const reasons: string[] = checkAmbiguity(req.rawHeaders, req.method!, req.url!);
    const canonical = normalizePath(target);
    if (canonical.reject) reasons.push(canonical.reject);
    if (reasons.length) {
      res.writeHead(400, { connection: 'close', 'content-type': 'text/plain' });
      res.end(`dockmesh: ${reasons.join('; ')}`);
      return;
    }
    seenByApp.push(canonical.path);
    res.end('app');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

/** Sends raw bytes; resolves with everything the server wrote before closing (or 500 ms of quiet). */
function send(raw: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(raw, 'latin1')));
    let text = '';
    const quiet = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, 500);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(quiet);
      resolve({ text, closed: true });
    });
    s.on('error', () => undefined);
  });
}

function layerOf(text: string): Layer {
  const status = text.split('\r\n')[0] ?? '';
  if (status.startsWith('HTTP/1.1 200')) return 'app';
  if (!status.startsWith('HTTP/1.1 400')) return 'parser';
  if (text.includes('dockmesh: ')) return 'dockmesh';
  // Node's clientError answer has no body and no date; its Host check answers with a (chunked, empty) body.
  return /\r\ndate:/i.test(text) ? 'node-http' : 'parser';
}

for (const [name, raw, layer] of cases) {
  test(`${name}: ${layer === 'app' ? 'accepted' : `refused by ${layer}`}`, async () => {
    const before = seenByApp.length;
    const { text, closed } = await send(raw);
    assert.is(layerOf(text), layer, text);
    if (layer !== 'app') {
      assert.is(seenByApp.length, before, 'the app must not see a refused request');
      assert.ok(closed, 'connection closed after the 400');
    }
  });
}

test.run();
