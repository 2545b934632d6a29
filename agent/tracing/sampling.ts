/**
 * The sampling rule (pure): a caller's decision is honoured (a sampled parent gets sampled children,
 * an unsampled one none, so a trace is whole or absent); a trace without one (a new trace, or B3
 * without `x-b3-sampled`) is sampled with probability `percent` / 100. `random` is in [0, 1).
 */
export function sampleDecision(incoming: boolean | undefined, percent: number, random: number): boolean {
  if (incoming !== undefined) return incoming;
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return random * 100 < percent;
}
