/**
 * Circuit breakers are cockatiel's: a consecutive-failure breaker that opens after
 * `failureThreshold` failures, half-opens after `resetMs` and lets `halfOpenTrials`
 * trial calls through (all must succeed to close it; one failure opens it again).
 * This file adds only what the service needs around them: a name, the state as
 * `/health/ready` and the metrics spell it, and how long until the next trial call
 * (so a job waits that long instead of using up an attempt).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface BreakerStatus {
  state: BreakerState;
  consecutive_failures: number;
}

export interface BreakerOptions {
  failureThreshold: number;
  resetMs: number;
  halfOpenTrials: number;
  /** Which errors count toward opening (default: every error); the others pass through uncounted. */
  isFailure?: (err: unknown) => boolean;
  onStateChange?: (name: string, from: BreakerState, to: BreakerState) => void;
}

/** A call refused because the circuit is open; says when a trial call will be let through. */
export class BreakerOpenError extends Error {
  readonly retryAfterMs: number;
  constructor(name: string, retryAfterMs: number, cause: unknown) {
    super(`Circuit for ${name} is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { cause });
    this.name = 'BreakerOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

export class CircuitBreaker {
  readonly name: string;
  private readonly policy: CircuitBreakerPolicy;
  private readonly counter: ConsecutiveBreaker;
  private readonly resetMs: number;
  private openedAt = 0;

  constructor(name: string, opts: BreakerOptions) {
    this.name = name;
    this.resetMs = opts.resetMs;
    this.counter = new ConsecutiveBreaker(opts.failureThreshold);
    this.policy = circuitBreaker(handleWhen(opts.isFailure ?? (() => true)), {
      breaker: this.counter,
      halfOpenAfter: opts.resetMs,
      halfOpenSampling: { calls: opts.halfOpenTrials, threshold: 0 },
    });
    let current: BreakerState = 'closed';
    this.policy.onStateChange((next) => {
      const to = STATE_NAMES[next];
      if (to === 'open') this.openedAt = Date.now();
      if (to === current) return;
      const from = current;
      current = to;
      opts.onStateChange?.(name, from, to);
    });
  }

  /** Milliseconds until an open circuit lets a trial call through (0 when it would now). */
  private untilTrialMs(): number {
    return Math.max(0, this.resetMs - (Date.now() - this.openedAt));
  }

  /**
   * The state as shown in readiness and metrics. cockatiel moves to half-open on the
   * first call after the wait; an open circuit whose wait is over is shown half-open
   * already, since that call would be let through.
   */
  get status(): BreakerStatus {
    let state = STATE_NAMES[this.policy.state];
    if (state === 'open' && this.policy.state === CircuitState.Open && this.untilTrialMs() === 0) state = 'half_open';
    return { state, consecutive_failures: this.counter.state };
  }

  async exec<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(() => fn());
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new BreakerOpenError(this.name, this.untilTrialMs(), err);
      throw err;
    }
  }
}

/** One breaker per name (a provider, a cache), created on first use with shared options. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly opts: BreakerOptions;
  constructor(opts: BreakerOptions) {
    this.opts = opts;
  }
  get(name: string): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, this.opts);
      this.breakers.set(name, breaker);
    }
    return breaker;
  }
  states(): Record<string, BreakerStatus> {
    return Object.fromEntries([...this.breakers].map(([name, breaker]) => [name, breaker.status]));
  }
}
