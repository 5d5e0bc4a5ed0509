/**
 * A small pool of model hosts (model-host.ts): each its own worker thread holding its own
 * copy of the models, so the pictures of one video (or of two analyses) are looked at on
 * as many cores as there are hosts. tfjs runs its WebAssembly backend on one thread in
 * Node (its multithreaded build is switched off there), so one host keeps one core busy
 * whatever the machine has.
 *
 * A call goes to a free host, the lowest-numbered first (a process that only ever sees one
 * picture at a time starts one thread and loads the models once); when every host is
 * busy it waits its turn, first come, first served. A host is given one call at a time,
 * so a call's time limit counts its own inference, never the wait. Each host starts on
 * its first call, and a host that crashed or timed out is replaced on its next call, as
 * a lone host is.
 *
 * Each extra host costs its own copy of the models in resident memory (measured:
 * bench/results/vision.md), hence a setting (VISION_MODEL_HOSTS, `modelHostCount`).
 */
import os from 'node:os';
import { ModelHost, ModelHostError, type ModelHostOptions, type VisionAdapter } from './model-host.ts';
import type { AnalyzeOptions, PictureVision, VisionTask } from './vision.types.ts';

/**
 * Hosts for a worker process: VISION_MODEL_HOSTS, at most the worker's CPU budget (the
 * vision stage never keeps more cores busy than that) and the machine's cores.
 */
export function modelHostCount(
  config: { vision: { modelHosts: number }; worker: { cpuBudget: number } },
  cores = os.availableParallelism(),
): number {
  return Math.max(1, Math.min(config.vision.modelHosts, config.worker.cpuBudget, cores));
}

export class ModelHostPool implements VisionAdapter {
  readonly parallelism: number;
  private readonly hosts: ModelHost[];
  private readonly busy: boolean[];
  private readonly waiting: Array<{ grant(host: number): void; refuse(err: Error): void }> = [];
  private closed = false;

  constructor(size: number, opts: ModelHostOptions) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a model-host pool needs at least one host');
    this.parallelism = size;
    this.hosts = Array.from({ length: size }, () => new ModelHost(opts));
    this.busy = this.hosts.map(() => false);
  }

  /** Threads started over the pool's life (one per host in use, in a healthy process). */
  get starts(): number {
    return this.hosts.reduce((sum, h) => sum + h.starts, 0);
  }

  private take(): Promise<number> {
    if (this.closed) return Promise.reject(closedError());
    const free = this.busy.indexOf(false);
    if (free >= 0 && this.waiting.length === 0) {
      this.busy[free] = true;
      return Promise.resolve(free);
    }
    return new Promise((grant, refuse) => this.waiting.push({ grant, refuse }));
  }

  private give(host: number): void {
    const next = this.waiting.shift();
    if (next) next.grant(host);
    else this.busy[host] = false;
  }

  private async on<T>(fn: (host: ModelHost) => Promise<T>): Promise<T> {
    const i = await this.take();
    try {
      // Closed while this call was being handed its host: a call now would start a new thread.
      if (this.closed) throw closedError();
      return await fn(this.hosts[i]!);
    } finally {
      this.give(i);
    }
  }

  analyze(file: string, tasks: VisionTask[], options: AnalyzeOptions = {}): Promise<PictureVision> {
    return this.on((host) => host.analyze(file, tasks, options));
  }

  /** Every host loads the models now, side by side; the load times are the first host's. */
  async preload(tasks: VisionTask[]): Promise<{ load_ms: Record<string, number> }> {
    const loaded = await Promise.all(this.hosts.map((h) => h.preload(tasks)));
    return loaded[0]!;
  }

  /** Resident memory of the process (every host's thread is in it) and the first host's load times. */
  stats(): Promise<{ rss_bytes: number; load_ms: Record<string, number> }> {
    return this.on((host) => host.stats());
  }

  /** Stops every thread; calls still waiting for a host fail as a lone host's pending calls do. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.refuse(closedError());
    await Promise.all(this.hosts.map((h) => h.close()));
  }
}

const closedError = () => new ModelHostError('MODEL_CRASHED', 'the model host was closed');
