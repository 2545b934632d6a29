import type { CaptureRules } from './iptables-rules.ts';

/** Proxy → capture manager: install exactly these rules. */
export interface RulesMessage {
  type: 'rules';
  id: number;
  rules: CaptureRules;
}

/** Capture manager → proxy: outcome of a {@link RulesMessage}. */
export interface RulesResultMessage {
  type: 'rules-result';
  id: number;
  ok: boolean;
  error?: string;
}

/** Capture manager → proxy: stop accepting, finish in-flight work, exit. */
export interface DrainMessage {
  type: 'drain';
  graceMs: number;
}

/** Every IPC message between the capture manager (root) and its proxy child (UID 1337). */
export type CaptureMessage = RulesMessage | RulesResultMessage | DrainMessage;
