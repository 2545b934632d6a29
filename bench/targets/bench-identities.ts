/**
 * Workload identities for the mTLS agent pair: a local CA in the run's scratch directory and one
 * leaf per agent, written as `--identity-dir` directories (key.pem, cert.pem, ca.pem). The same CA
 * code and CSR path as the control server's, without a control server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCa } from '../../control/ca/local-ca.ts';
import { createWorkloadKey } from '../../agent/identity/workload-key.ts';

/** Creates `<workDir>/identities/<service>/` for each service; returns the directories by service. */
export async function writeBenchIdentities(workDir: string, services: readonly string[]): Promise<Record<string, string>> {
  const base = join(workDir, 'identities');
  const ca = await LocalCa.open(join(base, 'ca'));
  const out: Record<string, string> = {};
  for (const service of services) {
    const { keyPem, csrPem } = await createWorkloadKey();
    const leaf = await ca.signCsr(csrPem, { spiffeId: `spiffe://cluster.local/ns/default/sa/${service}` });
    const dir = join(base, service);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'cert.pem'), leaf.chain.join(''));
    writeFileSync(join(dir, 'ca.pem'), leaf.trustBundle.join(''));
    out[service] = dir;
  }
  return out;
}
