/**
 * A project on two networks, where the control container joins a network whose name sorts before
 * the one it was created on. Docker (20.10) then moves the container's published ports to new host
 * ports (the default gateway moves to that network), so a CLI that resolved the control API's port
 * before lost it mid `mesh up` ("fetch failed"). mesh up must settle, and every command after it
 * must find the control server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh } from '../support/run-command.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import type { StatusView } from '../../wire/types.ts';

if (await requireEngine()) {
  const base = await ensureBaseImage();
  // client is created last (depends_on), so the CLI sees it first: the control container is created
  // on its network, zeta, and joins alpha (server's other network) when it finds server there.
  const yaml = `version: "2.4"
services:
  server:
    image: ${base}
    stop_signal: SIGKILL
    command: ["sh", "-c", "mkdir -p /www && echo two-networks > /www/index.html && exec httpd -f -p 8080 -h /www"]
    networks: [alpha, zeta]
  client:
    image: ${base}
    stop_signal: SIGKILL
    command: ["sh", "-c", "exec sleep 100000"]
    networks: [zeta]
    depends_on: [server]
networks:
  alpha: {}
  zeta: {}
`;
  const p = new ComposeProject('dmnets', yaml);
  const flags = ['-p', p.name, '-f', p.file];

  test.after(async () => {
    await p.destroy();
  });

  test('mesh up settles on a project whose networks move the control container\'s published port', async () => {
    await p.up();
    const r = await mesh(['up', ...flags]);
    assert.is(r.code, 0, `${r.stderr}\n${r.stdout}`);
    const s = await mesh(['status', '--json', ...flags]);
    assert.is(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout) as StatusView;
    assert.equal(status.agents.map((a) => [a.service, a.ready]).sort(), [['client', true], ['server', true]]);
    const control = (await p.meshContainers('control'))[0]!;
    const info = await p.docker.getContainer(control.Id).inspect();
    assert.equal(Object.keys(info.NetworkSettings.Networks).sort(), [`${p.name}_alpha`, `${p.name}_zeta`], 'on both project networks');
  });

  test('traffic from client to server goes through the mesh', async () => {
    const [client] = await p.containers('client');
    const out = await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html']);
    assert.is(out.code, 0, out.stderr);
    assert.is(out.stdout.trim(), 'two-networks');
  });

  test('mesh down: the project runs as it was', async () => {
    const r = await mesh(['down', ...flags]);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await p.meshContainers(), []);
  });
}

test.run();
