/**
 * The image builder against the real engine: the host-assembled base image, content-hashed mesh
 * images built once, and the shop example image (alone and as a compose project).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { envFromDockerfile, nodeFlagsFromDockerfile } from '../../bench/targets/image-entrypoint.ts';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBaseImage, ensureExampleImage, ensureImages, type ImageProgress } from '../../cli/images/index.ts';
import { requireEngine } from '../support/docker-engine.ts';
import { waitFor } from '../support/wait-for.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const STUB = join(REPO, 'test', 'unit', 'images', 'fixtures', 'stub-repo');
const TEST_LABEL = 'dockmesh.test';
const run = promisify(execFile);
const docker = new Docker();
const engine = await requireEngine(docker);
const test = suite('images (e2e)');

const containers: string[] = [];
const images: string[] = [];
const dirs: string[] = [];

/** Runs `cmd` in a fresh container of `image` to completion; removes it. */
async function runIn(image: string, cmd: string[], extra: Docker.HostConfig = {}): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, Entrypoint: [], Labels: { [TEST_LABEL]: 'images' }, HostConfig: extra });
  containers.push(c.id);
  await c.start();
  const { StatusCode } = await c.wait();
  const logs = await c.logs({ stdout: true, stderr: true });
  await c.remove({ force: true });
  containers.splice(containers.indexOf(c.id), 1);
  return { code: StatusCode, output: demux(logs) };
}

/** Docker's multiplexed log stream (8-byte frame headers) → text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return out;
}

/** GET a JSON document with node:http (a fresh connection each time). */
function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A throwaway checkout: the stub entries plus a nonce (so the first build is real), the real Dockerfiles and lockfile. */
function stubRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'dm-images-e2e-'));
  dirs.push(root);
  cpSync(STUB, root, { recursive: true });
  for (const role of ['agent', 'control']) {
    mkdirSync(join(root, 'compose', role), { recursive: true });
    copyFileSync(join(REPO, 'compose', role, 'Dockerfile'), join(root, 'compose', role, 'Dockerfile'));
  }
  copyFileSync(join(REPO, 'package-lock.json'), join(root, 'package-lock.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  appendFileSync(join(root, 'wire', 'greeting.ts'), `// nonce ${randomBytes(6).toString('hex')}\n`);
  return root;
}

test.after(async () => {
  for (const id of containers) await docker.getContainer(id).remove({ force: true }).catch(() => {});
  for (const ref of images) await docker.getImage(ref).remove({ force: true }).catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

if (engine) {
  test('ensureBaseImage: node, iptables (nft) and busybox tools run; users root and dockmesh', async () => {
    const base = await ensureBaseImage();
    assert.match(base, /^dockmesh\/base:[0-9a-f]{12}$/);
    const labels = (await docker.getImage(base).inspect()).Config.Labels ?? {};
    assert.is(labels['dockmesh.image'], 'base');
    const script = [
      'node -e "console.log(\'node \' + process.version)"',
      'iptables-restore --version',
      'iptables -t nat -S OUTPUT',
      'mkdir -p /tmp/www && echo served-by-busybox > /tmp/www/index.html',
      'httpd -p 18080 -h /tmp/www',
      'timeout 5 wget -qO- http://127.0.0.1:18080/',
      'id dockmesh',
    ].join(' && ');
    const r = await runIn(base, ['sh', '-c', script], { CapAdd: ['NET_ADMIN'] });
    assert.is(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`node ${process.version.replace(/\./g, '\\.')}`));
    assert.match(r.output, /iptables-restore v[\d.]+ \(nf_tables\)/);
    assert.match(r.output, /-P OUTPUT ACCEPT/);
    assert.match(r.output, /served-by-busybox/);
    assert.match(r.output, /uid=1337\(dockmesh\) gid=1337\(dockmesh\)/);
  });

  test('ensureImages builds once; a second run builds nothing; an edit rebuilds only its image', async () => {
    const root = stubRoot();
    const steps: ImageProgress[] = [];
    const first = await ensureImages({ root, onProgress: (p) => steps.push(p) });
    images.push(first.agent, first.control);
    assert.match(first.agent, /^dockmesh\/agent:[0-9a-f]{12}$/);
    assert.match(first.control, /^dockmesh\/control:[0-9a-f]{12}$/);
    assert.equal(first.built.sort(), ['agent', 'control']);
    for (const step of ['hash', 'bundle', 'build', 'done']) assert.ok(steps.some((s) => s.step === step), `progress step ${step}`);

    const second = await ensureImages({ root });
    assert.equal(second, { ...first, built: [] });

    const agent = await docker.getImage(first.agent).inspect();
    assert.is(agent.Config.Labels?.['dockmesh.image'], 'agent');
    // The image runs node with the Dockerfile's flags (the bench reads the same ENTRYPOINT).
    const dockerfile = readFileSync(join(REPO, 'compose', 'agent', 'Dockerfile'), 'utf8');
    const flags = nodeFlagsFromDockerfile(dockerfile);
    assert.equal(agent.Config.Entrypoint, ['node', ...flags, '/opt/dockmesh/agent.mjs']);
    // And with the environment the Dockerfile sets (the bench reads the same ENV lines).
    const env = Object.entries(envFromDockerfile(dockerfile));
    assert.ok(env.length > 0, 'the agent image sets its malloc tunables');
    for (const [k, v] of env) assert.ok(agent.Config.Env?.includes(`${k}=${v}`), `${k}=${v} in ${JSON.stringify(agent.Config.Env)}`);
    const r = await runIn(first.agent, ['node', '/opt/dockmesh/agent.mjs', 'hello'], { CapAdd: ['NET_ADMIN'] });
    assert.is(r.code, 0, r.output);
    assert.match(r.output, /dockmesh agent stub function hello/);
    // What the entry loads on first need is a chunk file next to it in the image, and it loads.
    const late = await runIn(first.agent, ['node', '/opt/dockmesh/agent.mjs', 'late']);
    assert.is(late.code, 0, late.output);
    assert.match(late.output, /dockmesh agent stub LATE-CHUNK-MARKER/);
    const iptables = await runIn(first.agent, ['iptables-restore', '--version']);
    assert.is(iptables.code, 0, iptables.output);

    appendFileSync(join(root, 'control', 'main.ts'), '// edited\n');
    const third = await ensureImages({ root });
    images.push(third.control);
    assert.equal(third.built, ['control']);
    assert.is(third.agent, first.agent);
    assert.is.not(third.control, first.control);
  });

  test('a failing Dockerfile step is MESH_ERR_IMAGE_BUILD with the step\'s message', async () => {
    const root = stubRoot();
    appendFileSync(join(root, 'compose', 'control', 'Dockerfile'), 'RUN echo dockmesh-broken-step >&2 && false\n');
    try {
      await ensureImages({ root, roles: ['control'] });
      assert.unreachable('built a broken Dockerfile');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'MESH_ERR_IMAGE_BUILD', String(err));
      assert.match((err as Error).message, /returned a non-zero code|non-zero/);
    }
  });

  test('the checkout\'s own agent and control bundle into images (and a second run is a no-op)', async () => {
    const first = await ensureImages();
    const second = await ensureImages();
    assert.equal(second, { ...first, built: [] });
    for (const ref of [first.agent, first.control]) {
      const r = await runIn(ref, ['node', '-e', 'import(process.argv[1]).catch(() => {}); setTimeout(() => process.exit(0), 10)', `/opt/dockmesh/${ref.includes('agent') ? 'agent' : 'control'}.mjs`]);
      assert.not.match(r.output, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Dynamic require of/);
    }
  });

  test('ensureExampleImage(shop): :<hash> and :dev; a payments container answers /healthz and echoes trace headers', async () => {
    const shop = await ensureExampleImage('shop');
    assert.match(shop.ref, /^dockmesh\/example-shop:[0-9a-f]{12}$/);
    assert.is(shop.devRef, 'dockmesh/example-shop:dev');
    assert.is((await docker.getImage(shop.devRef).inspect()).Id, (await docker.getImage(shop.ref).inspect()).Id);
    assert.is((await ensureExampleImage('shop')).built, false);

    const c = await docker.createContainer({
      Image: shop.devRef,
      Cmd: ['node', 'payments.mjs'],
      Labels: { [TEST_LABEL]: 'images' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    containers.push(c.id);
    await c.start();
    const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    assert.ok(port, 'published port');
    const health = await waitFor(() => getJson(`http://127.0.0.1:${port}/healthz`).catch(() => undefined), 15_000, 'payments /healthz');
    assert.equal(health, { status: 200, body: { status: 'ok', service: 'payments' } });
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const paid = await getJson(`http://127.0.0.1:${port}/payments/42`, { traceparent: tp, 'x-b3-traceid': 'abc' });
    assert.is(paid.status, 200);
    assert.is(paid.body.status, 'paid');
    assert.is(paid.body.trace.traceparent, tp);
    assert.is(paid.body.trace['x-b3-traceid'], 'abc');
    await c.remove({ force: true });
    containers.splice(containers.indexOf(c.id), 1);
  });

  test('the shop compose project runs under docker-compose: web → api v1/v2 → payments, inventory, trace headers forwarded', async () => {
    await ensureExampleImage('shop');
    const project = `dmimg${randomBytes(3).toString('hex')}`;
    // Port 0: the engine picks a free one. A random fixed port could be taken: one in the
    // ephemeral range (32768+) was, by a connection of another test, and `up` failed.
    const compose = (args: string[]) =>
      run('docker-compose', ['-p', project, '-f', join(REPO, 'examples', 'shop', 'docker-compose.yml'), ...args], {
        env: { ...process.env, SHOP_PORT: '0' },
        timeout: 120_000,
      });
    try {
      await compose(['up', '-d']);
      const published = (await compose(['port', 'web', '8080'])).stdout.trim();
      assert.match(published, /^127\.0\.0\.1:\d+$/);
      const url = `http://${published}`;
      await waitFor(() => getJson(`${url}/healthz`).then((r) => r.status === 200).catch(() => false), 20_000, 'web /healthz');
      const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const versions = new Set<string>();
      for (let i = 0; i < 20 && versions.size < 2; i++) {
        const r = await waitFor(() => getJson(`${url}/api/orders/7`, { traceparent: tp, 'x-request-id': `req-${i}` }).catch(() => undefined), 10_000, 'order');
        assert.is(r.status, 200, JSON.stringify(r.body));
        assert.is(r.body.order, '7');
        assert.is(r.body.api.payment.status, 'paid');
        assert.is(r.body.api.payment.trace.traceparent, tp);
        assert.is(r.body.api.inventory.trace['x-request-id'], `req-${i}`);
        versions.add(r.body.api.version);
      }
      assert.equal([...versions].sort(), ['v1', 'v2']);
    } finally {
      await compose(['down', '-t', '2', '--remove-orphans']).catch(() => {});
    }
  });
} else {
  test.skip('needs a Docker engine', () => {});
}

test.run();
