/**
 * A memory-capped child process for decoders that a hostile file can blow up (pdf.js,
 * mammoth, the OCR of scanned pages; the model runners may use it too).
 *
 * Why a child process and not a worker thread: a worker's `resourceLimits` bound only
 * its JavaScript heap, and an allocation that overshoots them can still abort the whole
 * process; ArrayBuffers and WebAssembly memory are not counted at all. A child gets a
 * V8 heap limit (`--max-old-space-size`) AND a resident-memory watchdog that reads its
 * RSS from /proc and kills it past the ceiling, so heap, buffers and WASM are all
 * bounded, and whatever happens to the child the worker process carries on.
 *
 * A sandboxed call names a module and one of its exports; the child imports the module,
 * awaits the export with the given arguments and sends back the value (structured
 * clone over IPC) or the error. Errors that carry a catalogue code come back as the same
 * `AppError`; anything else as a `SandboxError` the caller classifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError, ERRORS, type ErrorCode } from '../../domain/errors.ts';

export interface SandboxLimits {
  /** Resident memory ceiling of the child (heap, buffers, WASM together), in MiB. */
  memoryMb: number;
  /** Wall-clock limit of one call. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Keep one idle child ready for the next call (default true). */
  warm?: boolean;
}

export interface SandboxCall {
  /** The module to import in the child (a file URL of ours). */
  module: URL;
  /** The name of an async function exported by that module. */
  fn: string;
  args: readonly unknown[];
}

/** Default ceiling: pdf.js on a normal document stays under ~200 MiB; OCR of an A4 page at 200 dpi peaked at 466 MiB (whole process). */
export const DEFAULT_SANDBOX_MEMORY_MB = 768;
/** How often the watchdog reads the child's resident memory. */
export const RSS_POLL_MS = 50;
/** Node's own footprint before the call's heap (code, snapshots): not given to the V8 heap limit. */
const NODE_BASE_MB = 64;
/** Size of the young generation; the default (16 MiB semi-spaces) is fine, named so it is chosen. */
const SEMI_SPACE_MB = 16;
const STDERR_TAIL_CHARS = 2_000;

/** A failure inside the sandboxed function that is not one of our coded errors. */
export class SandboxError extends Error {
  /** The original error's class name (RangeError, TypeError, InvalidPDFException, …). */
  readonly errorName: string;
  constructor(errorName: string, message: string) {
    super(message);
    this.name = 'SandboxError';
    this.errorName = errorName;
  }
}

/** What the child sends back. */
export type SandboxReply = { ok: true; value: unknown } | { ok: false; name: string; message: string; code?: string };

const HOST = fileURLToPath(new URL('./sandbox-host.ts', import.meta.url));

/** Statistics for benchmarks and metrics: how long the child took to answer, its peak RSS. */
export interface SandboxStats {
  wallMs: number;
  peakRssMb: number;
}

let lastStats: SandboxStats | null = null;
/** The stats of the most recent sandboxed call in this process (bench and tests). */
export function lastSandboxStats(): SandboxStats | null {
  return lastStats;
}

const observers = new Set<(stats: SandboxStats) => void>();
/** Be told the stats of every sandboxed call (metrics, benchmarks); returns the unsubscribe. */
export function observeSandbox(fn: (stats: SandboxStats) => void): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

/** Read a process's resident set size in MiB from /proc; null when it is gone. */
async function rssMb(pid: number): Promise<number | null> {
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

function tooComplex(detail: string): AppError {
  return new AppError('MEDIA_TOO_COMPLEX', detail);
}

function spawnHost(heapMb: number): ChildProcess {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return spawn(process.execPath, [`--max-old-space-size=${heapMb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, HOST], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    env,
  });
}

/**
 * One idle child, started ahead so a call does not wait for Node to boot (~50–300 ms, far
 * more on a loaded machine). Each child still serves one call only: a fresh heap per file.
 * The spare is unreferenced, so it never keeps this process alive.
 */
let spare: { heapMb: number; child: ChildProcess } | null = null;

function takeChild(heapMb: number, warm: boolean): ChildProcess {
  let child: ChildProcess;
  if (spare && spare.heapMb === heapMb && spare.child.exitCode === null && spare.child.connected) {
    child = spare.child;
    child.ref();
    (child.channel as { ref?: () => void } | undefined)?.ref?.();
    (child.stderr as { ref?: () => void } | null)?.ref?.();
    child.stderr?.removeAllListeners('data');
  } else {
    spare?.child.kill('SIGKILL');
    child = spawnHost(heapMb);
  }
  spare = null;
  if (warm) {
    const next = spawnHost(heapMb);
    next.unref();
    (next.channel as { unref?: () => void } | undefined)?.unref?.();
    (next.stderr as { unref?: () => void } | null)?.unref?.();
    next.stderr?.on('data', () => undefined);
    next.on('error', () => undefined);
    spare = { heapMb, child: next };
  }
  return child;
}

/** Stop the idle spare child (at worker shutdown, and in tests). */
export function stopSandboxSpare(): void {
  spare?.child.kill('SIGKILL');
  spare = null;
}

/** Run `call` in a fresh child process under `limits`. */
export function runSandboxed<T>(call: SandboxCall, limits: SandboxLimits): Promise<T> {
  const heapMb = Math.max(32, limits.memoryMb - NODE_BASE_MB);
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    const child = takeChild(heapMb, limits.warm ?? true);
    let settled = false;
    let peak = 0;
    let killedFor: string | null = null;
    let stderrTail = '';
    let reply: SandboxReply | null = null;

    const kill = (why: string) => {
      if (killedFor || settled) return;
      killedFor = why;
      child.kill('SIGKILL');
    };
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      limits.signal?.removeEventListener('abort', onAbort);
      lastStats = { wallMs: Math.round(performance.now() - started), peakRssMb: Math.round(peak) };
      for (const fn of observers) fn(lastStats);
      fn();
    };
    const timer = setTimeout(() => kill('timeout'), limits.timeoutMs);
    const watchdog = setInterval(() => {
      if (child.pid === undefined) return;
      rssMb(child.pid).then(
        (mb) => {
          if (mb === null) return;
          peak = Math.max(peak, mb);
          if (mb > limits.memoryMb) kill('memory');
        },
        () => undefined,
      );
    }, RSS_POLL_MS);
    watchdog.unref();
    const onAbort = () => kill('aborted');
    if (limits.signal?.aborted) onAbort();
    else limits.signal?.addEventListener('abort', onAbort, { once: true });

    child.stderr!.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (msg: SandboxReply) => {
      reply = msg;
      // The answer is in; the child has nothing more to do.
      child.disconnect();
    });
    child.on('error', (err) =>
      finish(() => reject(new AppError('SANDBOX_UNAVAILABLE', 'sandbox failed to start', { cause: err }))),
    );
    child.on('exit', (code, signal) =>
      finish(() => {
        if (killedFor === 'aborted') return reject(limits.signal?.reason ?? new Error('aborted'));
        if (killedFor === 'memory')
          return reject(tooComplex(`Decoding needed more than ${limits.memoryMb} MiB of memory`));
        if (killedFor === 'timeout')
          return reject(tooComplex(`Decoding took longer than ${Math.round(limits.timeoutMs / 1000)} s`));
        if (reply) return settle(reply, resolve, reject);
        if (/heap out of memory|Allocation failed/i.test(stderrTail))
          return reject(tooComplex(`Decoding needed more than ${limits.memoryMb} MiB of memory`));
        reject(
          new AppError('MEDIA_TOO_COMPLEX', `The decoder stopped (${signal ?? `exit code ${code}`})`, {
            cause: new Error(stderrTail.trim().split('\n').slice(-3).join(' | ')),
          }),
        );
      }),
    );
    child.send({ module: call.module.href, fn: call.fn, args: call.args });
  });
}

function settle<T>(reply: SandboxReply, resolve: (v: T) => void, reject: (e: unknown) => void): void {
  if (reply.ok) return resolve(reply.value as T);
  if (reply.code && reply.code in ERRORS) return reject(new AppError(reply.code as ErrorCode, reply.message));
  reject(new SandboxError(reply.name, reply.message));
}
