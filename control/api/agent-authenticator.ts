/**
 * Who may speak for an agent on the control API: its bootstrap token until the agent has used its
 * certificate, then only the certificate (AGENT_CERT_AUTH, checked by verifyCertAuthorization);
 * the first certificate-signed request retires the token.
 */
import { X509Certificate } from 'node:crypto';
import type { LocalCa } from '../ca/local-ca.ts';
import { spiffeIdFor } from '../ca/spiffe-id.ts';
import { verifyCertAuthorization } from './agent-auth.ts';
import { tokenHash } from './bearer-token.ts';

export interface AgentAuthenticatorOptions {
  ca?: LocalCa;
  /** The workload of a container (its identity), or undefined when unknown. */
  workloadOf(container: string): { namespace: string; service: string } | undefined;
  /** The SHA-256 of the container's current bootstrap token, or undefined. */
  tokenHashOf(container: string): string | undefined;
}

/** Serials as hex without leading zeros, lower case (Node and the CA print them differently). */
function normalSerial(serial: string): string {
  return serial.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
}

export class AgentAuthenticator {
  readonly #o: AgentAuthenticatorOptions;
  /** SHA-256 of bootstrap tokens whose agent has since authenticated with its certificate. */
  readonly #retired = new Set<string>();
  /** Normalised certificate serial → the container it was issued to. */
  readonly #serialOwners = new Map<string, string>();
  #rootsKey = '';
  #rootsCache: X509Certificate[] = [];

  constructor(o: AgentAuthenticatorOptions) {
    this.#o = o;
  }

  /** Remembers which container a certificate was issued to. */
  issued(container: string, serial: string): void {
    this.#serialOwners.set(normalSerial(serial), container);
  }

  /** Checks a request's authorization header for `container`. */
  verify(container: string, authorization: string): boolean {
    if (authorization.startsWith('Bearer ')) {
      const token = authorization.slice('Bearer '.length);
      if (!token) return false;
      const hash = tokenHash(token);
      return !this.#retired.has(hash) && hash === this.#o.tokenHashOf(container);
    }
    const w = this.#o.workloadOf(container);
    if (!this.#o.ca || !w) return false;
    const ok = verifyCertAuthorization(authorization, container, {
      spiffeId: spiffeIdFor(w.namespace, w.service),
      roots: this.#roots(),
      nowMs: Date.now(),
      serialOwner: (serial) => this.#serialOwners.get(normalSerial(serial)),
    }).ok;
    if (ok) {
      const hash = this.#o.tokenHashOf(container);
      if (hash) this.#retired.add(hash);
    }
    return ok;
  }

  /** The CA's roots as X509Certificate objects, parsed once per bundle. */
  #roots(): X509Certificate[] {
    const bundle = this.#o.ca?.trust().bundle ?? [];
    const key = bundle.join('');
    if (key !== this.#rootsKey) {
      this.#rootsKey = key;
      this.#rootsCache = bundle.map((pem) => new X509Certificate(pem));
    }
    return this.#rootsCache;
  }
}
