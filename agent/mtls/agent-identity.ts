/**
 * Where the agent's certificate comes from, feeding {@link MeshTls}: the control server's CA (a
 * WorkloadIdentity whose CSRs go to `POST /v1/agents/<container>/csr`, renewed at two thirds of the
 * leaf's life, trust bundle updated from each snapshot), or a static identity directory.
 */
import type { CsrResponse, TrustSnapshot } from '../../wire/types.ts';
import type { Logger } from '../logger.ts';
import { WorkloadIdentity } from '../identity/workload-identity.ts';
import type { IdentityMaterial } from '../identity/tls-options.ts';
import type { MeshTls } from './mesh-tls.ts';
import { loadStaticIdentity } from './static-identity.ts';

export class AgentIdentity {
  readonly #mesh: MeshTls;
  readonly #log: Logger;
  #workload: WorkloadIdentity | undefined;
  #closed = false;

  constructor(mesh: MeshTls, log: Logger) {
    this.#mesh = mesh;
    this.#log = log;
  }

  /** True once an identity source is set (the certificate may still be on its way). */
  get active(): boolean {
    return this.#mesh.enabled;
  }

  /** Uses the fixed identity in `dir` (throws AGENT_ERR_IDENTITY). */
  useStatic(dir: string): void {
    const s = loadStaticIdentity(dir);
    this.#mesh.enable(() => (s.notAfter.getTime() - Date.now()) / 1000);
    this.#mesh.apply(s.material, s.spiffeId);
    this.#log.info('static workload identity', { spiffeId: s.spiffeId, notAfter: s.notAfter.toISOString() });
  }

  /**
   * Starts getting certificates from the CA through `submit` (retried with backoff until one is
   * issued); `onFirst` runs when the first certificate is held.
   */
  useCa(submit: (csrPem: string) => Promise<CsrResponse>, onFirst: () => void): void {
    if (this.#workload || this.#closed) return;
    const w = new WorkloadIdentity({ submit });
    this.#workload = w;
    this.#mesh.enable(() => w.expirySeconds());
    w.on('rotated', (_options, info: { spiffeId: string; serial: string; notAfter: Date; renewAt: Date; generation: number }) => {
      this.#mesh.apply(w.material()!, info.spiffeId);
      this.#log.info('workload certificate', {
        spiffeId: info.spiffeId,
        serial: info.serial,
        notAfter: info.notAfter.toISOString(),
        renewAt: info.renewAt.toISOString(),
        generation: info.generation,
      });
    });
    w.on('renewal-failed', (err: Error, retryInMs: number) => this.#log.warn('certificate request failed', { err: err.message, retryInMs }));
    w.start().then(onFirst, (err: Error) => {
      if (!this.#closed) this.#log.error('workload identity stopped', { err: err.message });
    });
  }

  /** The certificate and key from the CA, once held (a static identity has no control server to talk to). */
  material(): IdentityMaterial | undefined {
    return this.#workload?.material();
  }

  /** The snapshot's trust bundle (CA rotation): new roots at once, early renewal under a new signer. */
  updateTrust(trust: TrustSnapshot): void {
    this.#workload?.updateTrust(trust);
  }

  /** Stops renewing. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#workload?.close();
    this.#mesh.close();
  }
}
