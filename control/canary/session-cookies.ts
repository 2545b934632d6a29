/**
 * Flagger's session affinity, the controller's part (pure but for `mint`): which cookies a Canary's
 * routing carries after a tick. docs/canary.md, "Session affinity".
 *
 * - While the canary has a weight, one canary cookie (`<cookieName>=<10 letters>`) for the whole run;
 *   with `primaryCookieName`, one primary cookie per step (a new value whenever the weight changes;
 *   it lives one analysis interval, so a client returns to the weighted choice at the next step),
 *   none once the canary takes every request (promoted).
 * - When the weight is back at 0 (a rollback, a new revision, the canary replicas gone), the run's
 *   canary cookie becomes the previous one, which the routes expire (Max-Age=-1), and the primary
 *   cookie is dropped.
 * The tick itself may start from a fresh state (no canary replicas): the cookies are carried over
 * from the state before it.
 */
import { randomInt } from 'node:crypto';
import type { SessionAffinitySpec } from '../meshfile/canary-spec.ts';
import type { CanaryState, SessionCookies } from './canary-analysis.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Flagger's randSeq(): ten letters. */
export function cookieValue(): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += LETTERS[randomInt(LETTERS.length)];
  return out;
}

export function withSessionCookies(sa: SessionAffinitySpec | undefined, before: CanaryState, after: CanaryState, mint: () => string = cookieValue): CanaryState {
  const had: SessionCookies = { ...before.cookies, ...after.cookies };
  if (!sa) return after.cookies === undefined ? after : { ...after, cookies: undefined };
  let next: SessionCookies;
  if (after.canaryWeight > 0) {
    const canary = had.canary ?? `${sa.cookieName}=${mint()}`;
    next = { ...(had.previous !== undefined && { previous: had.previous }), canary };
    // At 100 (promoted: the canary takes every request) a primary cookie would hold clients back.
    if (sa.primaryCookieName && after.canaryWeight < 100) {
      const fresh = had.primary === undefined || had.primaryStep !== after.canaryWeight;
      next.primary = fresh ? `${sa.primaryCookieName}=${mint()}` : had.primary;
      next.primaryStep = after.canaryWeight;
    }
  } else {
    const previous = had.canary ?? had.previous;
    next = previous === undefined ? {} : { previous };
  }
  return sameCookies(after.cookies, next) ? after : { ...after, cookies: next };
}

function sameCookies(a: SessionCookies | undefined, b: SessionCookies): boolean {
  return (a?.canary ?? '') === (b.canary ?? '') && (a?.previous ?? '') === (b.previous ?? '') && (a?.primary ?? '') === (b.primary ?? '') && a?.primaryStep === b.primaryStep;
}
