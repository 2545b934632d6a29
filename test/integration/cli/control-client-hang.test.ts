/**
 * Regression: `mesh up` exited with status 13 (unsettled top-level await) when the control
 * container's published port accepted connections before the server listened: the health probe's
 * only timer was unref'd, so nothing kept the CLI's event loop alive. The probe must answer false.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { runCommand } from '../../support/run-command.ts';

test('health probe against a port that accepts and closes at once (docker-proxy, backend down) resolves false, exit 0', async () => {
  const held: net.Socket[] = [];
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const script = `import { ControlClient } from './cli/control-client.ts';
const ok = await new ControlClient('http://127.0.0.1:${port}', 't').healthy();
console.log('healthy=' + ok);`;
    const r = await runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeoutMs: 20_000 });
    assert.is(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stdout, /healthy=false/);
  } finally {
    held.forEach((s) => s.destroy());
    server.close();
  }
});

test.run();
