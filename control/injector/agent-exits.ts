/**
 * Agents that exit on their own: why (from the container's exit code and its last error log line),
 * and when the injector starts a new one (a back-off that doubles per exit, as a kubelet restarts a
 * crashing sidecar). Pure; agent-watch.ts feeds it Docker's `die` events.
 */

/** First restart delay; each further exit in a row doubles it, up to MAX_RESTART_DELAY_MS. */
export const FIRST_RESTART_DELAY_MS = 1000;
export const MAX_RESTART_DELAY_MS = 60_000;
/** An exit this long after the one before starts the count again. */
export const EXIT_COUNT_RESET_MS = 10 * 60_000;

export interface AgentExit {
  /** Exits in a row. */
  count: number;
  at: number;
  reason: string;
  /** When the injector starts the next agent. */
  restartAt: number;
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into its text; plain text passes. */
export function demuxLogs(buf: Buffer): string {
  if (buf.length < 8 || (buf[0] !== 1 && buf[0] !== 2) || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return buf.toString('utf8');
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

/** The last error the agent logged (its JSON lines: msg, then code and cause), if any. */
export function lastLoggedError(text: string): string | undefined {
  const lines = text.split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as { level?: string; msg?: string; cause?: string; error?: string; code?: unknown };
      // The supervisor's own "proxy exited" line says less than the proxy's error before it.
      if (v.level !== 'error' || !v.msg || /exited on its own/.test(v.msg)) continue;
      const why = v.cause ?? v.error;
      return why ? `${v.msg}: ${why}` : v.msg;
    } catch {
      // not a log line of ours
    }
  }
  return undefined;
}

/** Records one more exit; the count starts again after a long quiet spell. */
export function noteExit(previous: AgentExit | undefined, exitCode: number | undefined, logs: string, now: number): AgentExit {
  const count = previous && now - previous.at < EXIT_COUNT_RESET_MS ? previous.count + 1 : 1;
  const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (count - 1));
  const error = lastLoggedError(logs);
  const reason = `agent exited${exitCode === undefined ? '' : ` (code ${exitCode})`}${error ? `: ${error}` : ''}`;
  return { count, at: now, reason, restartAt: now + delay };
}

/** What `mesh status` says of an agent that keeps exiting. */
export function exitText(e: AgentExit, now: number): string {
  const wait = Math.max(0, Math.ceil((e.restartAt - now) / 1000));
  return `${e.reason}${e.count > 1 ? ` (${e.count} times in a row)` : ''}; ${wait > 0 ? `restarting in ${wait} s` : 'restarting'}`;
}
