/**
 * CA root rotation under steady mTLS load, zero failed requests: rotate → the watcher reports the new
 * trust → agents apply it (as a snapshot push would) → the signer switches after the propagation delay
 * → agents renew early → every leaf is from the new root → finish → bundle shrinks; traffic never fails.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { TrustSnapshot } from '../../../wire/types.ts';
import { CaWatcher } from '../../../control/ca/ca-watcher.ts';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { WorkloadIdentity } from '../../../agent/identity/workload-identity.ts';
import { clientTlsOptions, serverTlsOptions } from '../../../agent/identity/tls-options.ts';
import { verifyPeer } from '../../../agent/identity/verify-peer.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startCa, type CaHarness } from './ca-harness.ts';

const API = 'spiffe://cluster.local/ns/default/sa/api';

function call(port: number, opts: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...opts, host: '127.0.0.1', port }, () => s.write('x'));
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.once('data', () => {
      s.end();
      resolve();
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed without an answer')));
  });
}

let h: CaHarness;
test.before(async () => {
  h = await startCa();
  for (const s of ['web', 'api']) {
    h.registry.set(`c-${s}`, { namespace: 'default', service: s });
    h.tokens.set(`c-${s}`, `tok-${s}`);
  }
});
test.after(() => h.close());

test('rotate and finish under load: zero failed requests, every leaf reissued by the new root', async () => {
  const web = new WorkloadIdentity({ submit: h.submitFor('c-web') });
  const api = new WorkloadIdentity({ submit: h.submitFor('c-api') });
  await Promise.all([web.start(), api.start()]);
  const oldRoot = h.ca.signingRootId();
  const server = tls.createServer(serverTlsOptions(api.material()!), (s) => {
    if (!verifyPeer(s.getPeerCertificate()).ok) return s.destroy();
    s.on('data', () => s.write('ok'));
    s.on('error', () => undefined);
  });
  api.on('rotated', (opts) => server.setSecureContext({ ...opts }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  // The control server's side: watch the directory, push trust to every agent (here: directly).
  const pushed: TrustSnapshot[] = [];
  const watcher = new CaWatcher(h.ca, {
    intervalMs: 100,
    onChange: (t) => {
      pushed.push(t);
      web.updateTrust(t, 200);
      api.updateTrust(t, 200);
    },
  });

  let ok = 0;
  const failures: string[] = [];
  let stop = false;
  const load = Array.from({ length: 3 }, async () => {
    while (!stop) {
      try {
        await call(port, clientTlsOptions(web.material()!, [API]));
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });

  try {
    // `mesh ca rotate` is another process: it only writes the directory.
    const cli = await LocalCa.open(h.ca.store.dir);
    await cli.rotate({ propagationMs: 500 });
    const newRoot = cli.rotationStatus().roots.at(-1)!.id;
    await waitFor(() => pushed.some((t) => t.bundle.length === 2 && t.signer === oldRoot), 3000, 'the new bundle pushed (old root still signing)');
    await waitFor(() => pushed.some((t) => t.signer === newRoot), 3000, 'the signer switch pushed');
    await waitFor(() => web.info()!.issuer === newRoot && api.info()!.issuer === newRoot, 5000, 'both leaves reissued by the new root');
    const okBeforeFinish = ok;

    await cli.finishRotation();
    await waitFor(() => pushed.some((t) => t.bundle.length === 1 && t.signer === newRoot), 3000, 'the one-root bundle pushed');
    await waitFor(() => ok > okBeforeFinish + 20, 5000, 'traffic after finishing');
  } finally {
    stop = true;
    await Promise.all(load);
    watcher.close();
    web.close();
    api.close();
    await new Promise((r) => server.close(r));
  }

  assert.equal(failures, []);
  assert.ok(ok > 50, `only ${ok} requests`);
  assert.is(h.ca.trustBundle().length, 1);
});

test.run();
