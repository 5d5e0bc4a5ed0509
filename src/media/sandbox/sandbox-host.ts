/**
 * The child side of the sandbox (see sandbox.ts): receives one call over IPC, runs it,
 * sends back the value or the error, and exits. Never imported by the service itself.
 */
import type { SandboxReply } from './sandbox.ts';

interface CallMessage {
  module: string;
  fn: string;
  args: unknown[];
}

process.once('message', (msg: CallMessage) => {
  void (async () => {
    let reply: SandboxReply;
    try {
      const mod = (await import(msg.module)) as Record<string, unknown>;
      const fn = mod[msg.fn];
      if (typeof fn !== 'function') throw new Error(`${msg.module} has no export ${msg.fn}`);
      reply = { ok: true, value: await (fn as (...a: unknown[]) => Promise<unknown>)(...msg.args) };
    } catch (err) {
      const e = err as { name?: string; message?: string; code?: unknown };
      reply = {
        ok: false,
        name: typeof e?.name === 'string' ? e.name : 'Error',
        message: typeof e?.message === 'string' ? e.message : String(err),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      };
    }
    process.send!(reply, () => process.exit(0));
  })();
});
