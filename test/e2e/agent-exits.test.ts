/**
 * Agents that exit on their own, on a real engine. An app that listens on the agent's admin port
 * (15020) makes its agent fail to start: `mesh up` says which app and why instead of "agent not
 * connected", and the control server keeps trying with a back-off. An agent killed under a running
 * app is started again, as a kubelet restarts a sidecar, and traffic flows through it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import type { StatusView } from '../../wire/types.ts';

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const yaml = `version: "2.4"
services:
${busyboxServer(base, 'hello')}${busyboxClient(base)}  clash:
    image: ${base}
    stop_signal: SIGKILL
    command: ["sh", "-c", "mkdir -p /www && echo clash > /www/index.html && (httpd -f -p 15020 -h /www &) && exec httpd -f -p 8080 -h /www"]
`;
  const p = new ComposeProject('dmexit', yaml);
  const flags = ['-p', p.name, '-f', p.file];
  const status = async (): Promise<StatusView> => JSON.parse((await mesh(['status', '--json', ...flags])).stdout) as StatusView;

  test.after(async () => {
    await p.destroy();
  });

  test('an app on the agent\'s admin port: mesh up names it and why, the others are meshed', async () => {
    await p.up();
    // Without --timeout it would wait 60 s; an agent that exited three times in a row ends the wait.
    const r = await mesh(['up', ...flags]);
    assert.is(r.code, 5, r.stderr);
    assert.match(r.stderr, /agents keep exiting: \S+clash_1 \(agent exited \(code 1\): cannot listen on 0\.0\.0\.0:15020 \(port 15020 is in use in the app's network namespace/);
    const s = await status();
    const by = Object.fromEntries(s.agents.map((a) => [a.service, a]));
    assert.equal([by.server!.ready, by.client!.ready, by.clash!.ready], [true, true, false]);
    assert.match(by.clash!.reason!, /move the app off it\): listen EADDRINUSE.*\(\d+ times in a row\); restarting/);
  });

  test('an agent killed under its running app is started again, and traffic goes through it', async () => {
    const [server] = await p.containers('server');
    const before = (await p.meshContainers('agent')).find((a) => a.Labels['dockmesh.agent-for'] === server!.Id)!;
    await p.docker.getContainer(before.Id).kill();
    const after = await waitFor(
      async () => {
        const a = (await p.meshContainers('agent')).find((c) => c.Labels['dockmesh.agent-for'] === server!.Id && c.Id !== before.Id && c.State === 'running');
        const ready = (await status()).agents.find((x) => x.service === 'server')?.ready;
        return a && ready ? a : undefined;
      },
      30_000,
      'a new, ready agent for server',
      250,
    );
    assert.ok(after.Id !== before.Id);
    const [client] = await p.containers('client');
    const out = await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html']);
    assert.is(out.stdout.trim(), 'hello', out.stderr);
  });
}

test.run();
