import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { callWebhook } from '../../../control/canary/canary-webhook.ts';

let answers: number[] = [];
const seen: Array<{ method: string; type: string; body: unknown }> = [];
const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    seen.push({ method: req.method!, type: String(req.headers['content-type']), body: JSON.parse(text) });
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
    res.writeHead(answers.shift() ?? 200).end('answer');
  });
});
let url = '';
const payload = { name: 'api', namespace: 'default', phase: 'Progressing', checksum: 'abc' };

test.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
test.after(() => {
  server.closeAllConnections();
  server.close();
});

test('a POST of Flagger\'s payload with the metadata; 200–202 succeed, 204 and 403 fail with the answer', async () => {
  seen.length = 0;
  answers = [202, 204, 403];
  assert.equal(await callWebhook({ name: 'h', url, metadata: { cmd: 'x' } }, payload), { ok: true });
  assert.equal(seen[0], { method: 'POST', type: 'application/json', body: { ...payload, metadata: { cmd: 'x' } } });
  assert.equal(await callWebhook({ name: 'h', url }, payload), { ok: false, error: `h (${url}): 204` });
  assert.equal(await callWebhook({ name: 'h', url }, payload), { ok: false, error: `h (${url}): 403: answer` });
});

test('retries after 503 (not after 403); a timeout fails', async () => {
  seen.length = 0;
  answers = [503, 200];
  assert.equal(await callWebhook({ name: 'h', url, retries: 2 }, payload), { ok: true });
  assert.is(seen.length, 2);
  answers = [403, 200];
  assert.is((await callWebhook({ name: 'h', url, retries: 2 }, payload)).ok, false);
  const slow = await callWebhook({ name: 'h', url: `${url}/slow`, timeout: '200ms' }, payload);
  assert.is(slow.ok, false);
});

test.run();
