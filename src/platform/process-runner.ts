/**
 * The one place that spawns external tools (ffprobe, ffmpeg). It enforces a timeout,
 * honours an abort signal, never uses a shell, and keeps only the tail of stderr for
 * the error message.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const STDERR_TAIL_BYTES = 4096;

export class ProcessError extends Error {
  readonly exitCode: number | null;
  readonly stderrTail: string;
  readonly reason: 'exit' | 'timeout' | 'aborted' | 'spawn';
  constructor(
    message: string,
    reason: ProcessError['reason'],
    exitCode: number | null,
    stderrTail: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'ProcessError';
    this.reason = reason;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  maxStdoutBytes?: number;
  /** How much of stderr to keep (its end); defaults to STDERR_TAIL_BYTES. */
  stderrBytes?: number;
  /** The child's whole environment (default: PATH only). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Tools echo their input paths in errors ("/srv/data/uploads/…/source: Invalid data").
 * Error messages reach clients, so every absolute path among the arguments is cut to its
 * file name in the kept stderr.
 */
export function redactPaths(text: string, args: readonly string[]): string {
  let out = text;
  const paths = args.filter((a) => path.isAbsolute(a)).sort((a, b) => b.length - a.length);
  for (const p of paths) out = out.replaceAll(p, path.basename(p));
  for (const p of paths) out = out.replaceAll(path.dirname(p) + path.sep, '');
  return out;
}

export function runProcess(
  command: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<{ stdout: Buffer; stderrTail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    const maxOut = opts.maxStdoutBytes ?? 64 * 1024 * 1024;
    let errTail = '';
    let settled = false;
    let reason: ProcessError['reason'] = 'exit';
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      reason = 'timeout';
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const onAbort = () => {
      reason = 'aborted';
      child.kill('SIGKILL');
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= maxOut) out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errTail = (errTail + chunk.toString('utf8')).slice(-(opts.stderrBytes ?? STDERR_TAIL_BYTES));
    });
    child.on('error', (err) =>
      finish(() => reject(new ProcessError(`${command} could not start: ${err.message}`, 'spawn', null, errTail, err))),
    );
    child.on('close', (code) =>
      finish(() => {
        errTail = redactPaths(errTail, args);
        if (reason !== 'exit') {
          reject(
            new ProcessError(
              `${command} ${reason === 'timeout' ? `timed out after ${opts.timeoutMs} ms` : 'was aborted'}`,
              reason,
              code,
              errTail,
            ),
          );
        } else if (code !== 0) {
          reject(
            new ProcessError(
              `${command} exited with code ${code}: ${errTail.trim().split('\n').slice(-3).join(' | ')}`,
              'exit',
              code,
              errTail,
            ),
          );
        } else {
          resolve({ stdout: Buffer.concat(out), stderrTail: errTail });
        }
      }),
    );
  });
}
