/**
 * Flagger's alerting: a Canary's `analysis.alerts` post messages to chat services (AlertProviders of
 * the meshfile) at the points of the analysis where Flagger alerts, with its messages, severities,
 * fields and payloads (pkg/controller/scheduler.go, events.go, pkg/notifier/). docs/canary.md, "Alerts".
 *
 * Pure but for postAlert().
 */
import { ProxyAgent, type Dispatcher } from 'undici';
import { postJson } from './canary-webhook.ts';
import type { AlertProviderSpec } from '../meshfile/mesh-spec.ts';
import type { CanaryAlertSpec, CanarySpec } from '../meshfile/canary-spec.ts';
import { DEFAULT_PROGRESS_DEADLINE_S, TRAFFIC_INCREASE_WAIT, type CanaryPhase, type CanaryState } from './canary-analysis.ts';

export type AlertSeverity = 'info' | 'warn' | 'error';

export interface Alert {
  message: string;
  severity: AlertSeverity;
  /** Flagger attaches the Canary's settings (alertMetadata) to some alerts only. */
  metadata: boolean;
}

export interface AlertField {
  name: string;
  value: string;
}

/** Phases in which a new revision restarts the analysis (an event in Flagger, not an alert). */
const RESTARTING: ReadonlySet<CanaryPhase> = new Set(['Progressing', 'WaitingPromotion', 'Promoting']);

/** The alert Flagger sends when a Canary is first seen. */
export function initializedAlert(spec: CanarySpec): Alert {
  return { message: `New ${spec.targetRef.kind} detected, initialization completed.`, severity: 'info', metadata: true };
}

/**
 * The alert a tick makes, if any. `gateMuted`: the confirm-* webhook that held the analysis in
 * this tick has `muteAlert`.
 */
export function alertFor(spec: CanarySpec, before: CanaryState, after: CanaryState, gateMuted: boolean): Alert | undefined {
  if (after.revision !== before.revision && after.phase === 'Progressing' && !RESTARTING.has(before.phase)) {
    return { message: 'New revision detected, progressing canary analysis.', severity: 'info', metadata: true };
  }
  if (after.phase === 'Succeeded' && before.phase !== 'Succeeded') {
    const message = spec.skipAnalysis ? 'Canary analysis was skipped, promotion finished.' : 'Canary analysis completed successfully, promotion finished.';
    return { message, severity: 'info', metadata: false };
  }
  if (after.phase === 'Failed' && before.phase !== 'Failed') {
    if (after.failure === 'rollback-webhook') return { message: 'Rolling back manual webhook invoked', severity: 'warn', metadata: false };
    if (after.failure === 'deadline') return { message: `Progress deadline exceeded: ${after.message}`, severity: 'error', metadata: false };
    return { message: `Failed checks threshold reached ${after.failedChecks}`, severity: 'error', metadata: false };
  }
  if (gateMuted) return undefined;
  if (after.phase === 'Waiting' && before.phase !== 'Waiting') return { message: 'Canary is waiting for approval.', severity: 'warn', metadata: false };
  if (after.phase === 'WaitingPromotion' && before.phase !== 'WaitingPromotion') {
    return { message: 'Canary promotion is waiting for approval.', severity: 'warn', metadata: false };
  }
  // Flagger sends this one at every interval the gate holds the step.
  if (after.message === TRAFFIC_INCREASE_WAIT) return { message: 'Canary traffic increase is waiting for approval.', severity: 'warn', metadata: false };
  return undefined;
}

/** Whether an alert of `severity` goes to an entry of `wanted` severity (info, the default: all; warn: warn and error; error: error). */
export function wants(wanted: CanaryAlertSpec['severity'], severity: AlertSeverity): boolean {
  if (!wanted || wanted === 'info') return true;
  if (wanted === 'warn') return severity !== 'info';
  return severity === 'error';
}

/** The fields of an alert: the project (Flagger's cluster name) and, with `metadata`, the Canary's settings (alertMetadata). */
export function alertFields(doc: { spec: CanarySpec; namespace: string }, alert: Alert, cluster?: string): AlertField[] {
  const out: AlertField[] = cluster ? [{ name: 'Cluster', value: cluster }] : [];
  if (!alert.metadata) return out;
  const a = doc.spec.analysis;
  out.push(
    { name: 'Target', value: `${doc.spec.targetRef.kind}/${doc.spec.targetRef.name}.${doc.namespace}` },
    { name: 'Failed checks threshold', value: String(a.threshold > 0 ? a.threshold : 1) },
    { name: 'Progress deadline', value: `${doc.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S}s` },
  );
  if ((a.stepWeight ?? 0) > 0) out.push({ name: 'Traffic routing', value: `Weight step: ${a.stepWeight} max: ${a.maxWeight ?? 0}` });
  else if (a.stepWeights?.length) out.push({ name: 'Traffic routing', value: `Weight steps: ${a.stepWeights.join(',')} max: ${a.maxWeight ?? 0}` });
  else if (a.match?.length) out.push({ name: 'Traffic routing', value: 'A/B Testing' });
  else if ((a.iterations ?? 0) > 0) out.push({ name: 'Traffic routing', value: 'Blue/Green' });
  return out;
}

/** Where and what to post: the URL and the JSON body of Flagger's notifier for the provider's type. */
export function alertRequest(
  provider: AlertProviderSpec,
  canary: { name: string; namespace: string },
  message: string,
  fields: readonly AlertField[],
  severity: AlertSeverity,
): { url: string; body: unknown } {
  const workload = `${canary.name}.${canary.namespace}`;
  const error = severity === 'error';
  const address = provider.address!;
  const slack = (color: string) => ({
    channel: provider.channel || 'general',
    username: provider.username || 'flagger',
    icon_url: '',
    icon_emoji: ':rocket:',
    attachments: [{ color, author_name: workload, text: message, mrkdwn_in: ['text'], fields: fields.map((f) => ({ title: f.name, value: f.value, short: false })) }],
  });
  switch (provider.type) {
    case 'slack':
      return { url: address, body: slack(error ? 'danger' : 'good') };
    case 'discord': {
      // Discord's Slack-compatible endpoint.
      if (address.replace(/\?.*$/, '').endsWith('/slack')) return { url: address, body: slack(error ? 'danger' : 'good') };
      const u = new URL(address);
      u.pathname = `${u.pathname.replace(/\/+$/, '')}/slack`;
      return { url: u.toString(), body: slack(error ? 'danger' : 'good') };
    }
    case 'rocket':
      return { url: address, body: slack(error ? '#FF0000' : '#0076D7') };
    case 'msteams':
      return {
        url: address,
        body: {
          '@type': 'MessageCard',
          '@context': 'http://schema.org/extensions',
          themeColor: error ? 'FF0000' : '0076D7',
          summary: workload,
          sections: [{ activityTitle: message, activitySubtitle: workload, facts: fields.map((f) => ({ name: f.name, value: f.value })) }],
        },
      };
    case 'gchat':
      return {
        url: address,
        body: {
          cards: [
            {
              header: { title: 'Flagger', subtitle: workload, imageUrl: 'https://flagger.app/favicon.png' },
              sections: [
                { widgets: [{ textParagraph: { text: `<font color=#848484><strong>${message}</strong></font>` } }] },
                ...fields.map((f) => ({ widgets: [{ textParagraph: { text: `${f.name}<br><font color=#848484><strong>${f.value}</strong></font>` } }] })),
              ],
            },
          ],
        },
      };
  }
}

const POST_TIMEOUT_MS = 5000;
const proxies = new Map<string, Dispatcher>();

/** Posts one alert, as Flagger's notifiers do: JSON, 5 s, no retry; only a 200 answer is success. */
export async function postAlert(provider: AlertProviderSpec, request: { url: string; body: unknown }): Promise<{ ok: true } | { ok: false; error: string }> {
  let dispatcher: Dispatcher | undefined;
  if (provider.proxy) {
    dispatcher = proxies.get(provider.proxy);
    if (!dispatcher) proxies.set(provider.proxy, (dispatcher = new ProxyAgent(provider.proxy)));
  }
  try {
    const res = await postJson(request.url, JSON.stringify(request.body), POST_TIMEOUT_MS, dispatcher);
    return res.status === 200 ? { ok: true } : { ok: false, error: res.error };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
