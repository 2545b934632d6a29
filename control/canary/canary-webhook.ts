/**
 * One Flagger webhook call: POST the JSON payload `{name, namespace, phase, checksum, metadata}` to
 * the hook's URL, `timeout` per attempt (default 10s), `retries` more attempts after no answer, 429 or
 * a 5xx other than 501 (go-retryablehttp's rule, which Flagger uses; 1 s apart here). Success is
 * Flagger's: a status of at most 202 (so 204 fails); anything else fails with the answer's body.
 * An event webhook's payload adds `metadata.eventMessage`, `eventType` and `timestamp` (Flagger's
 * CallEventWebhook), which win over the hook's own metadata keys of the same name.
 */
import { Agent, fetch, type Dispatcher } from 'undici';
import { parseDuration } from '../meshfile/duration.ts';
import type { CanaryWebhookSpec } from '../meshfile/canary-spec.ts';

const DEFAULT_TIMEOUT_MS = 10_000;
const RETRY_WAIT_MS = 1000;
/** A dispatcher that skips certificate verification (webhooks' disableTLS, MetricTemplates' insecureSkipVerify). */
export const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  /** An event's own keys (event webhooks); the hook's `metadata` fills in the keys these lack. */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * One POST of a JSON body: the answer's status and the start of its text ("status: text" is how the
 * failures read), or throws when there is no answer within `timeoutMs`.
 */
export async function postJson(url: string, body: string, timeoutMs: number, dispatcher?: Dispatcher): Promise<{ status: number; error: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
    ...(dispatcher && { dispatcher }),
  });
  const text = (await res.text()).slice(0, 500);
  return { status: res.status, error: `${res.status}${text ? `: ${text}` : ''}` };
}

export async function callWebhook(w: CanaryWebhookSpec, p: WebhookPayload): Promise<{ ok: true } | { ok: false; error: string }> {
  const timeout = (w.timeout ? parseDuration(w.timeout) : undefined) ?? DEFAULT_TIMEOUT_MS;
  const metadata = { ...w.metadata, ...p.metadata };
  const body = JSON.stringify({ ...p, ...(Object.keys(metadata).length ? { metadata } : { metadata: undefined }) });
  const attempts = 1 + Math.max(0, Math.floor(w.retries ?? 0));
  let error = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, RETRY_WAIT_MS));
    try {
      const res = await postJson(w.url, body, timeout, w.disableTLS ? insecure : undefined);
      if (res.status >= 200 && res.status <= 202) return { ok: true };
      error = res.error;
      if (res.status !== 429 && !(res.status >= 500 && res.status !== 501)) break;
    } catch (err) {
      error = (err as Error).message;
    }
  }
  return { ok: false, error: `${w.name} (${w.url}): ${error}` };
}
