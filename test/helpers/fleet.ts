/**
 * Real service processes for fleet tests and benchmarks: `media-analysis api` and
 * `media-analysis worker`, each started with its own environment (and so its own
 * DATA_DIR), output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
}

export function startService(role: 'api' | 'worker' | 'start', env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, ['src/main/cli.ts', role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    // Only the tail matters for a failure message.
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, output: () => out, exited, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/** Resolve once `url` answers 200, or fail (with the process output) when it exits or time runs out. */
export async function waitHealthy(proc: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`service exited (${proc.child.exitCode}):\n${proc.output()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`service not healthy after ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolve once the process printed a line matching `re`. */
export async function waitForOutput(proc: ServiceProcess, re: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(proc.output())) {
    if (proc.child.exitCode !== null) throw new Error(`service exited (${proc.child.exitCode}):\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${re} after ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
