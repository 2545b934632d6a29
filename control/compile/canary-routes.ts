/**
 * Pure: a Flagger Canary → the routing of its target service, as Flagger's Istio router writes it
 * (a VirtualService over `<target>-primary` and `<target>-canary`, DestinationRules for both), with
 * the weights the canary controller (control/canary/) has reached. docs/canary.md.
 *
 * - Subsets: `<target>-primary` (replicas without `dockmesh.canary: "true"`; their endpoints get
 *   `dockmesh.canary: "false"` in the snapshot so that a label selects them) and `<target>-canary`.
 * - A/B testing (`analysis.iterations` with `analysis.match`), while it runs: one route per match
 *   condition, all to the canary; then the weighted route.
 * - The weighted route: `service.match` (or every request), primary `100 - w`, canary `w`, with
 *   `service.timeout`, `service.retries` (Istio's default policy when absent), `service.headers`
 *   and `service.rewrite`; while mirroring, a mirror to the canary at `mirrorWeight` (default 100%).
 * - Session affinity (`analysis.sessionAffinity`, Flagger's Istio router): while the canary has a
 *   weight, a route first that sends requests carrying this run's canary cookie to the canary (and,
 *   with `primaryCookieName`, one that sends the step's primary cookie to the primary), and the
 *   weighted route's canary destination adds `Set-Cookie` with the canary cookie (its primary
 *   destination the primary cookie, Max-Age one analysis interval). At weight 0, requests carrying
 *   the last run's cookie get it back with Max-Age=-1.
 * A service without primary replicas sends everything to its canary (else nothing would answer).
 */
import type { CanaryMatchSpec, CanarySpec, SessionAffinitySpec } from '../meshfile/canary-spec.ts';
import type { HostLookup } from '../meshfile/host-resolver.ts';
import type { DestinationSpec, HeadersSpec, HttpMatchRequestSpec, HttpRouteSpec } from '../meshfile/virtual-service-spec.ts';
import type { EndpointSnapshot, HttpRouteSnapshot, SubsetSnapshot, TrafficPolicySnapshot } from '../../wire/types.ts';
import { compileHttpRoute } from './http-route.ts';
import { compileTrafficPolicy } from './traffic-policy.ts';
import { analysisIntervalMs, type SessionCookies } from '../canary/canary-analysis.ts';

/** The label that marks a canary replica (DESIGN.md, Labels). */
export const CANARY_LABEL = 'dockmesh.canary';

/** What the controller decided for one Canary: the canary's share, and whether A/B routing is on. */
export interface CanaryRouting {
  /** 0–100. */
  canaryWeight: number;
  /** A/B testing in progress: requests matching `analysis.match` go to the canary. */
  abTesting: boolean;
  /** Requests are mirrored to the canary (`analysis.mirror`: blue/green, or a canary release's first step). */
  mirrored?: boolean;
  /** Session affinity's cookies (control/canary/session-cookies.ts). */
  cookies?: SessionCookies;
}

/** Before the controller has looked (or with no canary replicas): everything to the primary. */
export const PRIMARY_ONLY: CanaryRouting = { canaryWeight: 0, abTesting: false };

export const primarySubset = (target: string): string => `${target}-primary`;
export const canarySubset = (target: string): string => `${target}-canary`;

/** A replica is a canary when its `dockmesh.canary` label says "true" (case as written). */
export function isCanaryReplica(labels: Readonly<Record<string, string>>): boolean {
  return labels[CANARY_LABEL] === 'true';
}

/** Endpoint labels with `dockmesh.canary: "false"` on primary replicas, so a subset selects them. */
export function labelPrimary(e: EndpointSnapshot): EndpointSnapshot {
  if (e.labels[CANARY_LABEL] === 'true') return e;
  return { ...e, labels: { ...e.labels, [CANARY_LABEL]: 'false' } };
}

/** Flagger's `analysis.match` (headers, queryParams, sourceLabels) as an Istio HTTPMatchRequest. */
function abMatch(m: CanaryMatchSpec): HttpMatchRequestSpec {
  const out: HttpMatchRequestSpec = {};
  if (m.headers) out.headers = m.headers;
  if (m.queryParams) out.queryParams = m.queryParams;
  if (m.sourceLabels) out.sourceLabels = m.sourceLabels;
  return out;
}

/** Compiles the routes and subsets of a Canary's target. */
export function compileCanaryRoutes(
  canary: { spec: CanarySpec; namespace: string },
  target: { name: string; namespace: string },
  routing: CanaryRouting,
  replicas: { primary: number; canary: number },
  lookup: HostLookup,
  hostPolicy?: TrafficPolicySnapshot,
): { http: HttpRouteSnapshot[]; subsets: SubsetSnapshot[] } {
  const s = canary.spec.service;
  const host = target.name;
  const primary = { host, subset: primarySubset(target.name) };
  const canaryDest = { host, subset: canarySubset(target.name) };
  const weight = replicas.primary === 0 ? 100 : replicas.canary === 0 ? 0 : Math.max(0, Math.min(100, Math.round(routing.canaryWeight)));
  const common: Omit<HttpRouteSpec, 'route'> = {};
  if (s.timeout !== undefined) common.timeout = s.timeout;
  if (s.retries !== undefined) common.retries = s.retries;
  if (s.headers !== undefined) common.headers = s.headers;
  if (s.rewrite !== undefined) common.rewrite = s.rewrite;
  const http: HttpRouteSpec[] = [];
  const a = canary.spec.analysis;
  if (routing.abTesting && replicas.canary > 0 && a.match?.length) {
    http.push({ ...common, name: 'canary', match: a.match.map(abMatch), route: [{ destination: canaryDest, weight: 100 }] });
  }
  const main: HttpRouteSpec = {
    ...common,
    name: 'primary',
    route: [
      { destination: primary, weight: 100 - weight },
      { destination: canaryDest, weight },
    ],
  };
  if (s.match?.length) main.match = s.match;
  if (routing.mirrored && replicas.canary > 0 && replicas.primary > 0) {
    main.mirror = canaryDest;
    main.mirrorPercentage = { value: canary.spec.analysis.mirrorWeight ?? 100 };
  }
  const sa = a.sessionAffinity;
  // A/B testing routes on its own matches (Flagger's A/B routes replace the session routes).
  if (sa && routing.cookies && http.length === 0) http.push(...sessionRoutes(sa, routing.cookies, canary.spec, weight, main, common, { primary, canary: canaryDest }));
  http.push(main);
  // service.trafficPolicy: Flagger's DestinationRules for the primary and canary hosts (it replaces
  // the DestinationRule of the target's own host for both); else the host's policy applies to both.
  const chosen = s.trafficPolicy ? compileTrafficPolicy({ host, trafficPolicy: s.trafficPolicy }).policy : hostPolicy;
  const policy = chosen ? { policy: chosen } : {};
  return {
    http: http.map((h) => compileHttpRoute(h, canary.namespace, lookup)),
    subsets: [
      { name: primarySubset(target.name), labels: { [CANARY_LABEL]: 'false' }, ...policy },
      { name: canarySubset(target.name), labels: { [CANARY_LABEL]: 'true' }, ...policy },
    ],
  };
}

/** Flagger's default Max-Age of the canary cookie (a day). */
export const DEFAULT_COOKIE_MAX_AGE_S = 86_400;

/** Flagger's SessionAffinity.BuildCookie: `name=value; Max-Age=N` and the attributes set. */
export function buildCookie(sa: SessionAffinitySpec, cookie: string, maxAge: number): string {
  let out = `${cookie}; Max-Age=${maxAge}`;
  if (sa.domain) out += `; Domain=${sa.domain}`;
  if (sa.httpOnly) out += '; HttpOnly';
  if (sa.partitioned) out += '; Partitioned';
  if (sa.path) out += `; Path=${sa.path}`;
  if (sa.sameSite) out += `; SameSite=${sa.sameSite}`;
  if (sa.secure) out += '; Secure';
  return out;
}

const escapeRegex = (v: string): string => v.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * Flagger's cookie match: the `Cookie` header matching `.*<name>.*<value>.*`, put in place of the
 * headers of each `service.match` condition (mergeMatchConditions), or alone.
 */
function cookieMatch(cookie: string, serviceMatch: readonly HttpMatchRequestSpec[] | undefined): HttpMatchRequestSpec[] {
  const eq = cookie.indexOf('=');
  const headers = { cookie: { regex: `.*${escapeRegex(cookie.slice(0, eq))}.*${escapeRegex(cookie.slice(eq + 1))}.*` } };
  if (!serviceMatch?.length) return [{ headers }];
  return serviceMatch.map((m) => ({ ...m, headers }));
}

function addResponseHeader(h: HeadersSpec | undefined, name: string, value: string): HeadersSpec {
  return { ...h, response: { ...h?.response, add: { ...h?.response?.add, [name]: value } } };
}

/** The session-affinity routes that go before the weighted route (which this adds its Set-Cookie headers to). */
function sessionRoutes(
  sa: SessionAffinitySpec,
  cookies: SessionCookies,
  spec: CanarySpec,
  weight: number,
  main: HttpRouteSpec,
  common: Omit<HttpRouteSpec, 'route'>,
  to: { primary: DestinationSpec; canary: DestinationSpec },
): HttpRouteSpec[] {
  const serviceMatch = spec.service.match;
  if (weight > 0 && cookies.canary) {
    const [primaryDest, canaryDest] = main.route as [NonNullable<HttpRouteSpec['route']>[number], NonNullable<HttpRouteSpec['route']>[number]];
    canaryDest.headers = addResponseHeader(canaryDest.headers, 'set-cookie', buildCookie(sa, cookies.canary, sa.maxAge ?? DEFAULT_COOKIE_MAX_AGE_S));
    const out: HttpRouteSpec[] = [
      { ...common, name: 'canary-session', match: cookieMatch(cookies.canary, serviceMatch), route: [{ destination: to.primary, weight: 0 }, { destination: to.canary, weight: 100 }] },
    ];
    if (sa.primaryCookieName && cookies.primary) {
      primaryDest.headers = addResponseHeader(primaryDest.headers, 'set-cookie', buildCookie(sa, cookies.primary, Math.round(analysisIntervalMs(spec) / 1000)));
      out.push({ ...common, name: 'primary-session', match: cookieMatch(cookies.primary, serviceMatch), route: [{ destination: to.primary, weight: 100 }, { destination: to.canary, weight: 0 }] });
    }
    return out;
  }
  const expired = weight === 0 ? (cookies.previous ?? cookies.canary) : undefined;
  if (!expired) return [];
  return [
    {
      ...common,
      name: 'canary-session-expired',
      match: cookieMatch(expired, serviceMatch),
      route: main.route!.map((d) => ({ ...d })),
      headers: addResponseHeader(common.headers, 'set-cookie', `${expired}; Max-Age=-1`),
    },
  ];
}
