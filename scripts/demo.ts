/**
 * `npm run demo`: brings up examples/shop, meshes it, drives traffic, and prints what to look at
 * and how to stop it. Starts the Docker engine first where none answers (scripts/ensure-docker.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { composeCommand } from '../cli/compose-command.ts';
import { ensureExampleImage } from '../cli/images/ensure-example-image.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHOP = join(ROOT, 'examples', 'shop');
const PROJECT = process.env.DEMO_PROJECT ?? 'shop';
const PORT = process.env.SHOP_PORT ?? '8080';
const say = (s: string) => process.stdout.write(s + '\n');

function run(cmd: string[], opts: { quiet?: boolean } = {}): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: opts.quiet ? 'ignore' : 'inherit', cwd: SHOP });
  if (r.status !== 0) {
    process.stderr.write(`demo: \`${cmd.join(' ')}\` failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

say('1/5 Docker engine');
run(['bash', join(ROOT, 'scripts', 'ensure-docker.sh')]);

say('2/5 example image');
const img = await ensureExampleImage('shop', { onProgress: (p) => p.step !== 'log' && say(`    ${p.image}: ${p.message}`) });
say(`    ${img.ref ?? ''}`.trimEnd());

say(`3/5 compose up (project ${PROJECT})`);
const compose = await composeCommand();
const composeArgs = [...compose, '-p', PROJECT, '-f', join(SHOP, 'docker-compose.yml')];
run([...composeArgs, 'up', '-d']);

say('4/5 mesh up --observability (and Prometheus, Jaeger, Grafana)');
const meshCmd = [process.execPath, join(ROOT, 'cli', 'bin.js')];
run([...meshCmd, 'up', '-p', PROJECT, '-f', join(SHOP, 'docker-compose.yml'), '--observability']);

say('5/5 traffic: 20 orders through web → api (v1, v2) → payments, inventory');
let ok = 0;
let sample = '';
const versions: Record<string, number> = {};
for (let i = 1; i <= 20; i++) {
  try {
    const r = await fetch(`http://127.0.0.1:${PORT}/api/orders/${i}`, { signal: AbortSignal.timeout(5000) });
    if (r.ok) ok++;
    sample = await r.text();
    const v = (JSON.parse(sample) as { api?: { version?: string } }).api?.version ?? '?';
    versions[v] = (versions[v] ?? 0) + 1;
  } catch (err) {
    sample = (err as Error).message;
  }
}
say(`    ${ok}/20 succeeded; api versions: ${JSON.stringify(versions)} (examples/shop/mesh.yaml splits 90/10)`);
say(`    last answer: ${sample.slice(0, 200)}`);
say('');
execFileSync(meshCmd[0]!, [...meshCmd.slice(1), 'status', '-p', PROJECT], { stdio: 'inherit' });
say(`
What to look at:
  curl http://127.0.0.1:${PORT}/api/orders/42          the shop, through the mesh
  npm run mesh -- status -p ${PROJECT}                    agents, config versions
  npm run mesh -- routes web -p ${PROJECT}                the routes web's agent applies (90/10 canary, header route)
  curl -H 'x-canary: always' http://127.0.0.1:${PORT}/api/orders/1   always v2
  npm run mesh -- tap api -p ${PROJECT}                   api's live requests, in and out (Ctrl-C to stop)
  npm run mesh -- top web -p ${PROJECT}                   web's requests by path: count, latency, success rate
  edit examples/shop/mesh.yaml and save                 applied to every agent within a second
  docker logs ${PROJECT}-web-1-mesh-agent (v1: ${PROJECT}_web_1-mesh-agent)   JSON access log of web's agent
  agent metrics: http://<container ip>:15020/metrics (istio_requests_total, ...)
  npm run mesh -- dashboard -p ${PROJECT}                 Grafana (dockmesh / Mesh, / Service), Jaeger, Prometheus

A Flagger canary instead of the fixed 90/10 split (examples/shop/README.md, docs/canary.md):
  API_V2_CANARY=true ${composeArgs.join(' ')} up -d
  npm run mesh -- up -p ${PROJECT} --meshfile examples/shop/mesh.canary.yaml
  npm run mesh -- canary -p ${PROJECT}                    phase, weights, checks (while traffic flows)

Stop it:
  npm run mesh -- down -p ${PROJECT}                      removes the mesh, apps keep running
  ${composeArgs.join(' ')} down
`);
