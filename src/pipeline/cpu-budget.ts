/**
 * The worker's CPU budget: a weighted semaphore shared by every analysis the worker
 * process runs, so side-by-side stages of one analysis and concurrent analyses together
 * never keep more cores busy than configured (WORKER_CPU_BUDGET). Waiters are served
 * first come, first served, so a heavy stage is not starved by a stream of light ones.
 */
import os from 'node:os';

/**
 * Cores a stage that splits its work (frame batches, speech engines, shot-pass parts) keeps
 * busy at once, and so its cost: the worker's CPU budget (WORKER_CPU_BUDGET), at most the
 * machine's cores.
 */
export function stageCores(ctx: { deps: { config: { worker: { cpuBudget: number } } } }): number {
  return Math.max(1, Math.min(ctx.deps.config.worker.cpuBudget, os.availableParallelism()));
}

export class CpuBudget {
  readonly capacity: number;
  private inUse = 0;
  private readonly waiters: Array<{ units: number; grant: () => void }> = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('CPU budget must be a positive integer');
    this.capacity = capacity;
  }

  /** Units currently held. */
  get used(): number {
    return this.inUse;
  }

  /**
   * Wait for `units` (clamped to the capacity) and return the release function. An
   * aborted signal stops the wait with the signal's reason.
   */
  async acquire(units: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.min(Math.max(0, Math.ceil(units)), this.capacity);
    if (want === 0) return () => undefined;
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.inUse + want <= this.capacity) {
      this.inUse += want;
      return this.releaser(want);
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        units: want,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
        this.drain();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
    return this.releaser(want);
  }

  private releaser(units: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= units;
      this.drain();
    };
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.inUse + this.waiters[0]!.units <= this.capacity) {
      const next = this.waiters.shift()!;
      this.inUse += next.units;
      next.grant();
    }
  }
}
