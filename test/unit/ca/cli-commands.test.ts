import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertsView, IssuedCertView } from '../../../wire/types.ts';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { caRotate, type CaRotateDeps } from '../../../cli/commands/ca.ts';
import { formatCerts, formatDuration } from '../../../cli/commands/certs.ts';
import { caDir } from '../../../cli/ca-home.ts';

const dirs: string[] = [];
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cert(o: Partial<IssuedCertView> = {}): IssuedCertView {
  return {
    spiffeId: 'spiffe://cluster.local/ns/default/sa/web',
    principal: 'cluster.local/ns/default/sa/web',
    service: 'web',
    namespace: 'default',
    container: 'abcdef0123456789abcdef',
    serial: '0f'.repeat(16),
    issuer: 'root-a',
    notBefore: '2030-01-01T00:00:00.000Z',
    notAfter: '2030-01-02T00:00:00.000Z',
    renewAt: '2030-01-01T16:00:00.000Z',
    ...o,
  };
}

for (const [ms, want] of [[0, '0s'], [59_999, '59s'], [61_000, '1m 01s'], [3_720_000, '1h 02m'], [90_000_000, '1d 01h'], [-5000, '-5s']] as const) {
  test(`formatDuration(${ms}) = ${want}`, () => assert.is(formatDuration(ms), want));
}

test('formatCerts: identity, serial, expiry, time to renewal, rotation state', () => {
  const view: CertsView = { certificates: [cert()], ca: { roots: [{ id: 'root-a', createdAt: '', notAfter: '' }, { id: 'root-b', createdAt: '', notAfter: '' }], signer: 'root-b', rotating: true } };
  const text = formatCerts(view, Date.parse('2030-01-01T12:00:00.000Z'));
  assert.match(text, /root-b \(signing\)/);
  assert.match(text, /rotation under way/);
  assert.match(text, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/web/);
  assert.match(text, /0f0f0f0f0f0f0f0f/);
  assert.match(text, /\(12h 00m\)/);
  assert.match(text, /4h 00m/);
  assert.match(formatCerts(view, Date.parse('2030-01-03T00:00:00.000Z')), /expired 1d 00h ago/);
  assert.match(formatCerts({ ...view, certificates: [] }, 0), /no workload certificate/);
});

function setup(listCerts: CaRotateDeps['listCerts']): { deps: CaRotateDeps; out: string[]; dir: string } {
  const home = mkdtempSync(join(tmpdir(), 'dockmesh-home-'));
  dirs.push(home);
  process.env.DOCKMESH_HOME = home;
  const out: string[] = [];
  return { deps: { openCa: () => LocalCa.open(caDir()), listCerts, out: (t) => out.push(t) }, out, dir: caDir() };
}

test('mesh ca rotate: starts, reports, refuses a second start; --finish checks the leaves', async () => {
  let view: CertsView | undefined;
  const { deps, out, dir } = setup(async () => view);
  assert.is(await caRotate({ json: true, propagation: '0' }, deps), 0);
  const started = JSON.parse(out.at(-1)!) as { roots: unknown[]; rotating: boolean; signer: string };
  assert.is(started.roots.length, 2);
  assert.ok(started.rotating);
  try {
    await caRotate({}, deps);
    assert.unreachable('second rotation');
  } catch (err) {
    assert.match((err as Error).message, /already under way/);
  }
  // No control server answering: refuse without --force.
  try {
    await caRotate({ finish: true }, deps);
    assert.unreachable('finished blind');
  } catch (err) {
    assert.match((err as Error).message, /--force/);
  }
  // A leaf of the old root still in use: refuse.
  view = { certificates: [cert({ issuer: 'old' })], ca: { roots: [], signer: started.signer, rotating: true } };
  try {
    await caRotate({ finish: true }, deps);
    assert.unreachable('finished with a stale leaf');
  } catch (err) {
    assert.match((err as Error).message, /still signed by the old root/);
  }
  // Every leaf reissued: finish.
  view = { certificates: [cert({ issuer: started.signer })], ca: { roots: [], signer: started.signer, rotating: true } };
  assert.is(await caRotate({ finish: true, json: true }, deps), 0);
  const done = JSON.parse(out.at(-1)!) as { roots: Array<{ id: string }>; rotating: boolean };
  assert.equal(done.roots.map((r) => r.id), [started.signer]);
  assert.not.ok(done.rotating);
  assert.is((await LocalCa.open(dir)).trustBundle().length, 1);
  try {
    await caRotate({ finish: true }, deps);
    assert.unreachable('finish without rotation');
  } catch (err) {
    assert.match((err as Error).message, /no CA rotation under way/);
  }
});

test('mesh ca rotate --finish --force does not ask the control server', async () => {
  let asked = false;
  const { deps } = setup(async () => {
    asked = true;
    return undefined;
  });
  await caRotate({}, deps);
  assert.is(await caRotate({ finish: true, force: true }, deps), 0);
  assert.not.ok(asked);
});

test('mesh ca rotate --propagation must be a number', async () => {
  const { deps } = setup(async () => undefined);
  try {
    await caRotate({ propagation: 'soon' }, deps);
    assert.unreachable('accepted');
  } catch (err) {
    assert.match((err as Error).message, /--propagation/);
  }
});

test.run();
