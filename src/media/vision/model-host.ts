/**
 * The model host: one long-lived worker thread that holds the vision models (loaded
 * once) and runs inference off the process's event loop, under a V8 heap ceiling
 * (`resourceLimits`). A worker process has a few, in a pool (model-host-pool.ts). The
 * thread starts on first use; the HTTP process never creates one (only the pipeline's
 * deps do).
 *
 * A call that runs past its time limit terminates the thread (a runaway model cannot be
 * interrupted otherwise) and answers MODEL_TIMEOUT; a thread that dies (out of memory,
 * a crash in the wasm runtime) answers MODEL_CRASHED for what it had in hand. Either
 * way the next call starts a fresh thread: the worker process survives.
 */
import { Worker } from 'node:worker_threads';
import type { HostRequest, HostResponse } from './model-host.worker.ts';
import type { VisionModelOptions } from './vision-loaders.ts';
import type { AnalyzeOptions, PictureVision, VisionTask, VisionTaskError } from './vision.types.ts';

export interface ModelHostOptions extends VisionModelOptions {
  /** Limit for one call (one picture, or loading the models). */
  callTimeoutMs: number;
  /** V8 old-generation ceiling of the thread, in MB (model weights live in wasm memory, outside it). */
  maxHeapMb: number;
}

/** The host's options from the service config. */
export function modelHostOptions(config: {
  vision: {
    callTimeoutMs: number;
    maxHeapMb: number;
    humanModelsDir?: string | undefined;
    moderationModel: string;
    recognizePeople: boolean;
  };
  media: { maxImagePixels: number };
}): ModelHostOptions {
  return {
    describeFaces: config.vision.recognizePeople,
    callTimeoutMs: config.vision.callTimeoutMs,
    maxHeapMb: config.vision.maxHeapMb,
    humanModelsDir: config.vision.humanModelsDir,
    moderationModel: config.vision.moderationModel,
    maxInputPixels: config.media.maxImagePixels,
  };
}

export class ModelHostError extends Error {
  readonly code: VisionTaskError['code'];
  constructor(code: VisionTaskError['code'], message: string) {
    super(message);
    this.code = code;
    this.name = 'ModelHostError';
  }
}

/** A request without its id (the id is added per call). */
type HostRequestBody = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** What the pipeline stages use; `ModelHost` is the real one. */
export interface VisionAdapter {
  /** Pictures it looks at side by side (one per model thread; a `ModelHostPool` has several). */
  readonly parallelism: number;
  analyze(file: string, tasks: VisionTask[], options?: AnalyzeOptions): Promise<PictureVision>;
  preload(tasks: VisionTask[]): Promise<{ load_ms: Record<string, number> }>;
}

export class ModelHost implements VisionAdapter {
  /** One thread: one picture at a time (calls made meanwhile queue in the thread). */
  readonly parallelism = 1;
  private readonly opts: ModelHostOptions;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Times the thread was started (1 in a healthy process). */
  starts = 0;

  constructor(opts: ModelHostOptions) {
    this.opts = opts;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const { callTimeoutMs: _t, maxHeapMb, ...modelOpts } = this.opts;
    const worker = new Worker(new URL('./model-host.worker.ts', import.meta.url), {
      workerData: modelOpts,
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      stdout: false,
      stderr: false,
    });
    this.starts++;
    worker.unref();
    worker.on('message', (res: HostResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      clearTimeout(p.timer);
      if (res.ok) p.resolve(res.value);
      else p.reject(new ModelHostError('MODEL_FAILED', res.message));
    });
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new ModelHostError('MODEL_CRASHED', `the model host thread stopped: ${why}`));
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private failAll(err: ModelHostError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }

  private call<T>(req: HostRequestBody, timeoutMs = this.opts.callTimeoutMs): Promise<T> {
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Every queued call is lost with the thread; they fail as timed out too.
        this.worker = null;
        this.failAll(
          new ModelHostError('MODEL_TIMEOUT', `a model call ran past ${timeoutMs} ms; the thread was stopped`),
        );
        void worker.terminate();
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      worker.postMessage({ ...req, id } as HostRequest);
    });
  }

  /** Objects, faces and/or moderation for one picture file (any size: it is scaled for the models). */
  analyze(file: string, tasks: VisionTask[], options: AnalyzeOptions = {}): Promise<PictureVision> {
    return this.call<PictureVision>({ op: 'analyze', file, tasks, options });
  }

  /** Load the models now (at worker start) rather than on the first picture. */
  preload(tasks: VisionTask[]): Promise<{ load_ms: Record<string, number> }> {
    return this.call({ op: 'preload', tasks }, Math.max(this.opts.callTimeoutMs, 120_000));
  }

  /** Resident memory of the process as the thread sees it, and model load times. */
  stats(): Promise<{ rss_bytes: number; load_ms: Record<string, number> }> {
    return this.call({ op: 'stats' });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new ModelHostError('MODEL_CRASHED', 'the model host was closed'));
    if (worker) await worker.terminate();
  }
}
