/**
 * Jittered exponential back-off, from cockatiel: "half jitter" (half of the
 * exponential delay fixed, half random), so retries of many failed calls or jobs spread
 * out instead of arriving together.
 */
import { ExponentialBackoff, halfJitterGenerator, type IBackoff } from 'cockatiel';

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, capMs: 5 * 60_000 };

/** A cockatiel back-off factory: `base·2^(n-1)` capped at `cap`, each delay in [half, whole]. */
export function exponentialBackoff(opts: BackoffOptions): ExponentialBackoff<number> {
  return new ExponentialBackoff({ initialDelay: opts.baseMs, maxDelay: opts.capMs, generator: halfJitterGenerator });
}

/** Delay before retry number `attempt` (1 = first retry), for retries scheduled in the queue. */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  let backoff: IBackoff<unknown> = exponentialBackoff(opts).next();
  for (let n = 1; n < attempt; n++) backoff = backoff.next(undefined);
  return backoff.duration;
}
