/**
 * Jittered exponential back-off ("equal jitter"): half of the exponential delay is
 * fixed, the other half random, so retries of many failed jobs spread out instead of
 * arriving together.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, capMs: 5 * 60_000 };

/** Delay before retry number `attempt` (1 = first retry). `random` is injectable for tests. */
export function backoffDelayMs(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
