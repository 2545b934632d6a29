/**
 * The agent's workload identity: its key, its leaf and the roots it trusts, kept fresh. It makes a new
 * ECDSA P-256 key and CSR for every issuance, hands the CSR to `submit` (the control API call, or a
 * loopback app in tests), renews at two thirds of the leaf's life (unref'd timer; capped exponential
 * backoff with jitter on failure) and emits `rotated` with new secure-context options, which the data
 * path applies with `server.setSecureContext()` and for new outbound connections: connections already
 * open keep their context, so a renewal drops none.
 *
 * Events: `rotated` (options: SecureContextOptions, info: IdentityInfo);
 *         `renewal-failed` (err: Error, retryInMs: number). No `error` event: failures are retried.
 */
import { EventEmitter } from 'node:events';
import type { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type { CsrResponse, TrustSnapshot } from '../../wire/types.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import { nodeCrypto } from '../lazy-builtins.ts';
import { secureContextOptions, type IdentityMaterial } from './tls-options.ts';
import { createWorkloadKey } from './workload-key.ts';
import { isWorkloadSpiffeId } from './verify-peer.ts';

export interface WorkloadIdentityOptions {
  /** Sends the CSR to the CA; resolves with its answer or rejects. */
  submit(csrPem: string): Promise<CsrResponse>;
  /** Fraction of the leaf's life after which it is renewed; default 2/3. */
  renewAt?: number;
  /** Retry policy after a failed issuance; default 500 ms doubling to 30 s. */
  backoff?: BackoffOptions;
  now?: () => number;
  random?: () => number;
}

/** What the identity holds now (for /stats, metrics and logs). */
export interface IdentityInfo {
  spiffeId: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** When the next renewal is due. */
  renewAt: Date;
  /** Short id of the root that signed the leaf ('' when not in the bundle). */
  issuer: string;
  /** Issuances so far (1 after start). */
  generation: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };
/** Never renew sooner than this after an issuance (a clock far off must not spin). */
const MIN_RENEW_DELAY_MS = 250;

/** Short id of a root: the first 16 hex digits of its DER's SHA-256 (as control/ca names it). */
export function rootIdOf(pem: string): string {
  const { createHash, X509Certificate } = nodeCrypto();
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex').slice(0, 16);
}

interface Held extends IdentityMaterial {
  info: IdentityInfo;
}

export class WorkloadIdentity extends EventEmitter {
  readonly #o: WorkloadIdentityOptions;
  readonly #now: () => number;
  #held: Held | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  #inFlight: Promise<void> | undefined;
  #generation = 0;

  constructor(o: WorkloadIdentityOptions) {
    super();
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Gets the first leaf, retrying with backoff until it succeeds or `close()`. */
  async start(): Promise<IdentityInfo> {
    for (;;) {
      if (this.#closed) throw new Error('workload identity closed');
      try {
        await this.renewNow();
        return this.#held!.info;
      } catch (err) {
        const wait = backoffDelay(this.#failures++, this.#o.backoff ?? DEFAULT_BACKOFF, this.#o.random);
        this.emit('renewal-failed', err as Error, wait);
        await new Promise<void>((r) => setTimeout(r, wait).unref());
      }
    }
  }

  /** Issues a new leaf now (one at a time: a call during an issuance joins it). */
  renewNow(): Promise<void> {
    this.#inFlight ??= this.#issue().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #issue(): Promise<void> {
    const { keyPem, csrPem } = await createWorkloadKey();
    const res = await this.#o.submit(csrPem);
    if (this.#closed) return;
    const leaf = new (nodeCrypto().X509Certificate)(res.certificate);
    if (!isWorkloadSpiffeId(res.spiffeId)) throw new Error(`CA answered with SPIFFE ID ${res.spiffeId}`);
    if (!res.trustBundle.length) throw new Error('CA answered with an empty trust bundle');
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    const life = notAfter.getTime() - notBefore.getTime();
    const due = notBefore.getTime() + life * (this.#o.renewAt ?? 2 / 3);
    const renewAt = new Date(Math.max(due, this.#now() + MIN_RENEW_DELAY_MS));
    const chain = res.chain.length ? res.chain : [res.certificate];
    this.#held = {
      keyPem,
      chain,
      trustBundle: res.trustBundle,
      info: {
        spiffeId: res.spiffeId,
        // Lower-case hex, as the CA reports it (Node's is upper-case).
        serial: leaf.serialNumber.toLowerCase(),
        notBefore,
        notAfter,
        renewAt,
        issuer: this.#issuerOf(leaf, res.trustBundle),
        generation: ++this.#generation,
      },
    };
    this.#failures = 0;
    this.#schedule(renewAt.getTime() - this.#now());
    this.emit('rotated', this.secureContextOptions(), this.#held.info);
  }

  /**
   * The bundle root that issued `leaf`, as OpenSSL's chain building decides it (X509_check_issued:
   * the root's subject is the leaf's issuer and, when the leaf names one, its authority key id is the
   * root's subject key id; every root has a distinct subject).
   */
  #issuerOf(leaf: X509Certificate, bundle: readonly string[]): string {
    for (const pem of bundle) {
      if (leaf.checkIssued(new (nodeCrypto().X509Certificate)(pem))) return rootIdOf(pem);
    }
    return '';
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.renewNow().catch((err: Error) => {
        const wait = backoffDelay(this.#failures++, this.#o.backoff ?? DEFAULT_BACKOFF, this.#o.random);
        this.emit('renewal-failed', err, wait);
        // Never past expiry without trying: the backoff is capped by the time left.
        this.#schedule(wait);
      });
    }, Math.max(0, delayMs));
    this.#timer.unref();
  }

  /**
   * A trust bundle from the snapshot (CA rotation). New roots are trusted at once; a leaf signed by a
   * root other than `trust.signer` is renewed after a jittered delay up to `spreadMs`.
   */
  updateTrust(trust: TrustSnapshot, spreadMs = 2000): void {
    const h = this.#held;
    if (!h || this.#closed || trust.bundle.length === 0) return;
    const same = trust.bundle.length === h.trustBundle.length && trust.bundle.every((p, i) => p === h.trustBundle[i]);
    if (!same) {
      h.trustBundle = [...trust.bundle];
      this.emit('rotated', this.secureContextOptions(), h.info);
    }
    if (h.info.issuer !== trust.signer) {
      const random = this.#o.random ?? Math.random;
      this.#schedule(Math.round(random() * spreadMs));
    }
  }

  /** The held key, chain and bundle, or undefined before the first issuance. */
  material(): IdentityMaterial | undefined {
    return this.#held && { keyPem: this.#held.keyPem, chain: this.#held.chain, trustBundle: this.#held.trustBundle };
  }

  info(): IdentityInfo | undefined {
    return this.#held?.info;
  }

  /** Secure-context options for the held identity; throws before the first issuance. */
  secureContextOptions(): SecureContextOptions {
    const m = this.material();
    if (!m) throw new Error('no workload certificate yet');
    return secureContextOptions(m);
  }

  /** Seconds until the leaf expires (negative once expired), for `dockmesh_cert_expiry_seconds`; NaN before the first. */
  expirySeconds(): number {
    const h = this.#held;
    return h ? (h.info.notAfter.getTime() - this.#now()) / 1000 : Number.NaN;
  }

  /** Stops renewing. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
