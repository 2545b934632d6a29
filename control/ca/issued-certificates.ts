/**
 * The leaves the control server issued, latest per container, for `GET /v1/certs` (`mesh certs`).
 * In memory: after a control restart the list fills again as agents renew.
 */
import type { IssuedCertView } from '../../wire/types.ts';
import type { IssuedLeaf } from './local-ca.ts';
import { parseSpiffeId } from './spiffe-id.ts';

/** When a holder renews: two thirds into the leaf's life (DESIGN.md). */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

export class IssuedCertificates {
  readonly #byContainer = new Map<string, IssuedCertView>();

  record(container: string, leaf: IssuedLeaf): IssuedCertView {
    const id = parseSpiffeId(leaf.spiffeId);
    const view: IssuedCertView = {
      spiffeId: leaf.spiffeId,
      principal: leaf.spiffeId.slice('spiffe://'.length),
      service: id?.service ?? '',
      namespace: id?.namespace ?? '',
      container,
      serial: leaf.serial,
      issuer: leaf.issuer,
      notBefore: leaf.notBefore.toISOString(),
      notAfter: leaf.notAfter.toISOString(),
      renewAt: renewalTime(leaf.notBefore, leaf.notAfter).toISOString(),
    };
    this.#byContainer.set(container, view);
    return view;
  }

  /** Forgets a container (it went away). */
  forget(container: string): void {
    this.#byContainer.delete(container);
  }

  /** Latest leaf per container, by service then container. */
  list(): IssuedCertView[] {
    return [...this.#byContainer.values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service) || a.container.localeCompare(b.container),
    );
  }
}
