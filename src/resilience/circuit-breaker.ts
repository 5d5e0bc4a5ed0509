/**
 * A circuit breaker per provider: after `failureThreshold` consecutive failures it
 * opens; after `resetMs` it half-opens and lets up to `halfOpenTrials` calls through;
 * a trial that succeeds closes it, one that fails opens it again. While open, calls
 * fail at once with BreakerOpenError (which says when to try again).
 */
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface BreakerOptions {
  failureThreshold: number;
  resetMs: number;
  halfOpenTrials: number;
  now?: () => number;
  onStateChange?: (name: string, from: BreakerState, to: BreakerState) => void;
}

export class BreakerOpenError extends Error {
  readonly retryAfterMs: number;
  constructor(name: string, retryAfterMs: number) {
    super(`Circuit for ${name} is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'BreakerOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

export class CircuitBreaker {
  readonly name: string;
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trials = 0;
  private readonly opts: BreakerOptions;
  private readonly now: () => number;

  constructor(name: string, opts: BreakerOptions) {
    this.name = name;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  get status(): { state: BreakerState; consecutive_failures: number } {
    this.refresh();
    return { state: this.state, consecutive_failures: this.failures };
  }

  private move(to: BreakerState): void {
    if (to === this.state) return;
    const from = this.state;
    this.state = to;
    this.opts.onStateChange?.(this.name, from, to);
  }

  private refresh(): void {
    if (this.state === 'open' && this.now() - this.openedAt >= this.opts.resetMs) {
      this.trials = 0;
      this.move('half_open');
    }
  }

  async exec<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    this.refresh();
    if (this.state === 'open') throw new BreakerOpenError(this.name, this.opts.resetMs - (this.now() - this.openedAt));
    if (this.state === 'half_open') {
      if (this.trials >= this.opts.halfOpenTrials)
        throw new BreakerOpenError(this.name, Math.min(1000, this.opts.resetMs));
      this.trials++;
    }
    try {
      const result = await fn();
      this.failures = 0;
      this.move('closed');
      return result;
    } catch (err) {
      if (isFailure(err)) {
        this.failures++;
        if (this.state === 'half_open' || this.failures >= this.opts.failureThreshold) {
          this.openedAt = this.now();
          this.move('open');
        }
      }
      throw err;
    } finally {
      if (this.trials > 0 && this.state !== 'half_open') this.trials = 0;
    }
  }
}

export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly opts: BreakerOptions;
  constructor(opts: BreakerOptions) {
    this.opts = opts;
  }
  get(name: string): CircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      b = new CircuitBreaker(name, this.opts);
      this.breakers.set(name, b);
    }
    return b;
  }
  states(): Record<string, { state: BreakerState; consecutive_failures: number }> {
    return Object.fromEntries([...this.breakers].map(([k, b]) => [k, b.status]));
  }
}
