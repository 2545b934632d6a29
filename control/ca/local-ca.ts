/**
 * The local CA (DESIGN.md "Identity and trust"): an ECDSA P-256 root persisted in a directory,
 * created once and reused by every project, like mkcert's CAROOT. It signs workload leaves from CSRs:
 * the CSR proves possession of the key (its signature is verified) but its names are ignored; the
 * caller decides the identity.
 *
 * Rotation: `rotate()` adds a new root. From then on the trust bundle holds both roots; the new root
 * signs leaves from `signFrom` (rotation time + `propagationMs`, so that every agent trusts the new
 * root before it meets a leaf signed by it); `finishRotation()` drops the old root once every leaf is
 * reissued. The state is in the directory, so the CLI (`mesh ca rotate`) and a running control
 * server share it; the server picks changes up with `refresh()`.
 */
import { createHash } from 'node:crypto';
import type { TrustSnapshot } from '../../wire/types.ts';
import { CaStore, type CaState, type StoredRoot } from './ca-store.ts';
import { CaError } from './ca-error.ts';
import { parseSpiffeId } from './spiffe-id.ts';
import { EC_P256, ECDSA_SHA256, randomSerial, subtle, x509 } from './x509-runtime.ts';

export const DEFAULT_LEAF_TTL_MS = 24 * 3600_000;
export const DEFAULT_ROOT_TTL_MS = 10 * 365 * 24 * 3600_000;
/** Default delay between `rotate()` and the new root signing leaves. */
export const DEFAULT_PROPAGATION_MS = 30_000;
/** Backdating of notBefore, for clocks a little behind ours (a tenth of short lifetimes). */
const CLOCK_SKEW_MS = 60_000;

export interface LocalCaOptions {
  /** Clock (ms since the epoch); tests move it. */
  now?: () => number;
  rootTtlMs?: number;
}

export interface SignOptions {
  /** `spiffe://cluster.local/ns/<ns>/sa/<service>`: the leaf's only URI SAN. */
  spiffeId: string;
  /** Leaf lifetime; default 24 h; capped at the signing root's own expiry. */
  ttlMs?: number;
}

/** A signed leaf. */
export interface IssuedLeaf {
  spiffeId: string;
  /** PEM. */
  certificate: string;
  /** Leaf first, then intermediates (none): what a TLS endpoint presents. PEM. */
  chain: string[];
  /** Roots to trust (both during a rotation). PEM. */
  trustBundle: string[];
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** Id of the root that signed it. */
  issuer: string;
}

/** Rotation state, for `mesh ca rotate` and status output. */
export interface RotationStatus {
  roots: Array<{ id: string; createdAt: string; notAfter: string }>;
  signer: string;
  /** True while more than one root is trusted. */
  rotating: boolean;
  signFrom?: string;
}

interface LoadedRoot {
  id: string;
  certPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
}

function pem(label: string, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

/** Short id of a root: the first 16 hex digits of its certificate's SHA-256. */
export function rootId(certPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(certPem));
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

async function newRoot(nowMs: number, ttlMs: number): Promise<StoredRoot> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const stamp = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const nonce = randomSerial().slice(0, 8);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    // A distinct subject per root: during a rotation two roots are trusted side by side.
    name: `CN=dockmesh local CA ${stamp} ${nonce}, O=dockmesh`,
    notBefore: new Date(nowMs - CLOCK_SKEW_MS),
    notAfter: new Date(nowMs + ttlMs),
    signingAlgorithm: ECDSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  const keyPem = pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey));
  return { id: rootId(certPem), certPem, keyPem };
}

async function loadRoot(stored: StoredRoot): Promise<LoadedRoot> {
  const cert = new x509.X509Certificate(stored.certPem);
  const key = await subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(stored.keyPem), EC_P256, false, ['sign']);
  return { id: stored.id, certPem: stored.certPem, cert, key };
}

/** Key usages for a leaf: digitalSignature, plus keyAgreement (EC) or keyEncipherment (RSA). */
function leafKeyUsage(alg: Algorithm): number {
  const F = x509.KeyUsageFlags;
  if (alg.name === 'ECDSA') return F.digitalSignature | F.keyAgreement;
  return F.digitalSignature | F.keyEncipherment;
}

function checkCsrKey(alg: Algorithm): void {
  const a = alg as Algorithm & { namedCurve?: string; modulusLength?: number };
  if (a.name === 'ECDSA' && (a.namedCurve === 'P-256' || a.namedCurve === 'P-384')) return;
  if (a.name === 'RSASSA-PKCS1-v1_5' && (a.modulusLength ?? 0) >= 2048) return;
  throw new CaError('MESH_ERR_CSR_INVALID', `key ${a.name} ${a.namedCurve ?? a.modulusLength ?? ''} not accepted (ECDSA P-256 expected)`);
}

export class LocalCa {
  readonly store: CaStore;
  readonly #now: () => number;
  readonly #rootTtlMs: number;
  #state!: CaState;
  #roots = new Map<string, LoadedRoot>();
  #stateStamp = '';

  private constructor(dir: string, o: LocalCaOptions) {
    this.store = new CaStore(dir);
    this.#now = o.now ?? Date.now;
    this.#rootTtlMs = o.rootTtlMs ?? DEFAULT_ROOT_TTL_MS;
  }

  /** Opens the CA in `dir`, creating it (one root) when absent. */
  static async open(dir: string, o: LocalCaOptions = {}): Promise<LocalCa> {
    const ca = new LocalCa(dir, o);
    if (!ca.store.readState()) {
      const root = await newRoot(ca.#now(), ca.#rootTtlMs);
      ca.store.writeRoot(root);
      const created = ca.store.createState({
        version: 1,
        roots: [ca.#describe(root)],
        signer: root.id,
      });
      // Another process won the race: its root is the CA; ours goes.
      if (!created) ca.store.removeRoot(root.id);
    }
    await ca.#load();
    return ca;
  }

  #describe(root: StoredRoot): CaState['roots'][number] {
    const c = new x509.X509Certificate(root.certPem);
    return { id: root.id, createdAt: new Date(this.#now()).toISOString(), notAfter: c.notAfter.toISOString() };
  }

  async #load(): Promise<void> {
    const mtime = this.store.stateStamp();
    const state = this.store.readState();
    if (!state) throw new CaError('MESH_ERR_CA_STATE', `${this.store.statePath} is missing`);
    const roots = new Map<string, LoadedRoot>();
    for (const r of state.roots) {
      try {
        roots.set(r.id, this.#roots.get(r.id) ?? (await loadRoot(this.store.readRoot(r.id))));
      } catch (err) {
        throw new CaError('MESH_ERR_CA_STATE', `root ${r.id}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (!roots.has(state.signer)) throw new CaError('MESH_ERR_CA_STATE', `signer ${state.signer} is not a trusted root`);
    this.#state = state;
    this.#roots = roots;
    this.#stateStamp = mtime;
  }

  /** Re-reads the directory if another process (the CLI) changed it; true when it did. */
  async refresh(): Promise<boolean> {
    if (this.store.stateStamp() === this.#stateStamp) return false;
    await this.#load();
    return true;
  }

  /** Trusted roots (PEM), oldest first: two during a rotation. */
  trustBundle(): string[] {
    return this.#state.roots.map((r) => this.#roots.get(r.id)!.certPem);
  }

  /** What every agent's snapshot carries (AgentSnapshot.trust): the bundle and the root signing now. */
  trust(): TrustSnapshot {
    return { bundle: this.trustBundle(), signer: this.signingRootId() };
  }

  /** The root that signs a leaf now. */
  signingRootId(): string {
    const s = this.#state;
    if (s.previousSigner && s.signFrom && this.#now() < Date.parse(s.signFrom) && this.#roots.has(s.previousSigner)) {
      return s.previousSigner;
    }
    return s.signer;
  }

  rotationStatus(): RotationStatus {
    const s = this.#state;
    return { roots: s.roots.map((r) => ({ ...r })), signer: this.signingRootId(), rotating: s.roots.length > 1, signFrom: s.signFrom };
  }

  /**
   * Signs a leaf for `spiffeId` with the public key of `csrPem`, after verifying the CSR's
   * signature. Names and extensions in the CSR are ignored.
   */
  async signCsr(csrPem: string, o: SignOptions): Promise<IssuedLeaf> {
    if (!parseSpiffeId(o.spiffeId)) throw new CaError('MESH_ERR_SPIFFE_ID', o.spiffeId);
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new CaError('MESH_ERR_CSR_INVALID', `not a PKCS#10 request: ${(err as Error).message}`, { cause: err });
    }
    checkCsrKey(csr.publicKey.algorithm);
    let ok = false;
    try {
      ok = await csr.verify();
    } catch (err) {
      throw new CaError('MESH_ERR_CSR_INVALID', `signature check failed: ${(err as Error).message}`, { cause: err });
    }
    if (!ok) throw new CaError('MESH_ERR_CSR_INVALID', 'signature does not match the public key');

    const root = this.#roots.get(this.signingRootId())!;
    const now = this.#now();
    const ttl = o.ttlMs ?? DEFAULT_LEAF_TTL_MS;
    if (!(ttl > 0)) throw new CaError('MESH_ERR_CSR_INVALID', `ttl ${ttl} ms`);
    const notBefore = new Date(now - Math.min(CLOCK_SKEW_MS, Math.floor(ttl / 10)));
    const notAfter = new Date(Math.min(now + ttl, root.cert.notAfter.getTime()));
    const serial = randomSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: 'O=dockmesh',
      issuer: root.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ECDSA_SHA256,
      publicKey: csr.publicKey,
      signingKey: root.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(leafKeyUsage(csr.publicKey.algorithm), true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: o.spiffeId }], true),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(root.cert.publicKey),
      ],
    });
    const certificate = cert.toString('pem') + '\n';
    return {
      spiffeId: o.spiffeId,
      certificate,
      chain: [certificate],
      trustBundle: this.trustBundle(),
      serial: cert.serialNumber,
      notBefore,
      notAfter,
      issuer: root.id,
    };
  }

  /**
   * Starts a rotation: a new root joins the trust bundle and signs leaves from now + `propagationMs`.
   * Refused while a rotation is under way (finish it first).
   */
  async rotate(o: { propagationMs?: number } = {}): Promise<RotationStatus> {
    await this.refresh();
    if (this.#state.roots.length > 1) {
      throw new CaError('MESH_ERR_CA_ROTATION', 'a rotation is already under way; finish it first (mesh ca rotate --finish)');
    }
    const root = await newRoot(this.#now(), this.#rootTtlMs);
    this.store.writeRoot(root);
    const now = this.#now();
    const next: CaState = {
      version: 1,
      roots: [...this.#state.roots, this.#describe(root)],
      signer: root.id,
      previousSigner: this.#state.signer,
      signFrom: new Date(now + (o.propagationMs ?? DEFAULT_PROPAGATION_MS)).toISOString(),
      rotatedAt: new Date(now).toISOString(),
    };
    this.store.writeState(next);
    await this.#load();
    return this.rotationStatus();
  }

  /** Ends a rotation: only the new root stays trusted; the old root's files are deleted. */
  async finishRotation(): Promise<RotationStatus> {
    await this.refresh();
    const s = this.#state;
    if (s.roots.length < 2) throw new CaError('MESH_ERR_CA_ROTATION', 'no rotation under way');
    const kept = s.roots.filter((r) => r.id === s.signer);
    const dropped = s.roots.filter((r) => r.id !== s.signer);
    this.store.writeState({ version: 1, roots: kept, signer: s.signer, rotatedAt: s.rotatedAt });
    for (const r of dropped) this.store.removeRoot(r.id);
    await this.#load();
    return this.rotationStatus();
  }
}
