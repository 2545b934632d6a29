/**
 * A control server that starts (or restarts) with a meshfile makes no snapshot before the meshfile's
 * first load: snapshots compiled from the workloads alone had the defaults (no VirtualService, no
 * Canary), and agents reconnecting after a restart took them, dropping the meshfile's routing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ControlServer } from '../../../control/control-server.ts';
import { ConfigStore } from '../../../control/config/config-store.ts';
import type { Workload } from '../../../control/discovery/labels.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import type { MeshfileContext } from '../../../control/meshfile/host-resolver.ts';
import type { MeshSpec } from '../../../control/meshfile/mesh-spec.ts';
import { FixedSource, workload } from '../../support/workloads.ts';


const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - route:
    - destination: {host: api}
    timeout: 3s
`;

test('no snapshot before the meshfile is loaded; the first one has its routes', async () => {
  const web = workload('web');
  const api = workload('api');
  let server: ControlServer | undefined;
  const config = new ConfigStore<MeshSpec, MeshfileContext>('mesh.yaml', (text, file, ctx) => loadMeshfile(text, file, ctx), () => server?.meshfileContext());
  let loaded!: () => void;
  server = new ControlServer({
    project: 'proj',
    apiToken: 't',
    source: new FixedSource([web, api]),
    config,
    staticAgentTokens: new Map([[web.container, 'w'], [api.container, 'a']]),
    configLoaded: new Promise<void>((r) => (loaded = r)),
  });
  try {
    await server.start('127.0.0.1', 0);
    assert.is(server.hub.snapshot(web.container), undefined, 'nothing an agent could take yet');
    config.apply(VS);
    loaded();
    await new Promise((r) => setImmediate(r));
    const snap = server.hub.snapshot(web.container);
    assert.ok(snap, 'compiled once the meshfile is in');
    assert.is(snap!.services.find((s) => s.name === 'api')!.http![0]!.timeoutMs, 3000);
  } finally {
    await server.close();
  }
});

test.run();
