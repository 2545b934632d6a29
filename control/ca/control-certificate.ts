/**
 * The control server's own certificate, for the agents' TLS listener (port 15012): a key made here,
 * a leaf from the local CA naming {@link CONTROL_SPIFFE_ID}, renewed two thirds into its life and
 * whenever the CA's signing root changes. Agents check that name as they check a peer's (secure
 * naming), so a container on the project network cannot pose as the control server.
 */
import { CONTROL_SPIFFE_ID } from '../../wire/types.ts';
import type { LocalCa } from './local-ca.ts';
import { renewalTime } from './issued-certificates.ts';
import { EC_P256, ECDSA_SHA256, subtle, x509 } from './x509-runtime.ts';

/** Key and certificate for `https.createServer` / `setSecureContext`. PEM. */
export interface ServerCredential {
  key: string;
  cert: string;
  notBefore: Date;
  notAfter: Date;
  /** The root that signed it. */
  issuer: string;
}

/** A new key and a leaf for it from `ca`, naming the control server. */
export async function issueControlCertificate(ca: LocalCa, ttlMs?: number): Promise<ServerCredential> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=dockmesh', keys, signingAlgorithm: ECDSA_SHA256 });
  await ca.refresh();
  const leaf = await ca.signCsr(csr.toString('pem'), { spiffeId: CONTROL_SPIFFE_ID, ttlMs });
  const key = x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') + '\n';
  return { key, cert: leaf.chain.join(''), notBefore: leaf.notBefore, notAfter: leaf.notAfter, issuer: leaf.issuer };
}

export interface ControlCertificateOptions {
  ca: LocalCa;
  /** Leaf lifetime (default: the CA's, 24 h). */
  ttlMs?: number;
  /** A renewed credential: the listener swaps its context. */
  onRenew: (c: ServerCredential) => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Retry delay after a failed renewal (the current leaf stays in use). */
const RETRY_MS = 10_000;

export class ControlCertificate {
  readonly #o: ControlCertificateOptions;
  #current: ServerCredential | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: ControlCertificateOptions) {
    this.#o = o;
  }

  /** The credential in force (after {@link start}). */
  get current(): ServerCredential {
    if (!this.#current) throw new Error('control certificate not issued yet');
    return this.#current;
  }

  /** Issues the first leaf and schedules its renewal. */
  async start(): Promise<ServerCredential> {
    this.#current = await issueControlCertificate(this.#o.ca, this.#o.ttlMs);
    this.#schedule(renewalTime(this.#current.notBefore, this.#current.notAfter).getTime() - Date.now());
    return this.#current;
  }

  /** Renews now when the CA signs with another root than the one that signed ours (a rotation). */
  async refresh(): Promise<void> {
    if (this.#closed || !this.#current) return;
    await this.#o.ca.refresh();
    if (this.#o.ca.signingRootId() !== this.#current.issuer) await this.#renew();
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#renew(), Math.max(0, ms));
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    try {
      const next = await issueControlCertificate(this.#o.ca, this.#o.ttlMs);
      if (this.#closed) return;
      this.#current = next;
      this.#o.onRenew(next);
      this.#o.log?.('control certificate renewed', { notAfter: next.notAfter.toISOString(), issuer: next.issuer });
      this.#schedule(renewalTime(next.notBefore, next.notAfter).getTime() - Date.now());
    } catch (err) {
      this.#o.log?.('control certificate renewal failed', { error: (err as Error).message });
      this.#schedule(RETRY_MS);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
