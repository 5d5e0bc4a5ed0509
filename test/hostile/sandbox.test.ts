import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSandboxed, SandboxError, lastSandboxStats } from '../../src/media/sandbox/sandbox.ts';
import { AppError } from '../../src/domain/errors.ts';

const TASKS = new URL('./sandbox-tasks.ts', import.meta.url);
const limits = { memoryMb: 256, timeoutMs: 20_000 };
const call = (fn: string, ...args: unknown[]) => runSandboxed<unknown>({ module: TASKS, fn, args }, limits);

async function rejectsWith(p: Promise<unknown>, code: string, maxMs: number): Promise<AppError> {
  const t0 = performance.now();
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.ok(performance.now() - t0 < maxMs, `took ${performance.now() - t0} ms`);
  return err;
}

test('a sandboxed call returns its value from another process', async () => {
  const r = (await call('echo', { a: [1, 2], b: new Date(0) })) as { value: unknown; pid: number };
  assert.deepEqual(r.value, { a: [1, 2], b: new Date(0) });
  assert.notEqual(r.pid, process.pid);
  assert.ok(lastSandboxStats()!.peakRssMb >= 0);
});

test('coded errors come back as the same AppError; others as SandboxError', async () => {
  await rejectsWith(call('fail', 'app'), 'MEDIA_CORRUPT', 20_000);
  const plain = await call('fail', 'plain').catch((e: unknown) => e);
  assert.ok(plain instanceof SandboxError);
  assert.equal(plain.errorName, 'TypeError');
  const stack = await call('fail', 'stack').catch((e: unknown) => e);
  assert.ok(stack instanceof SandboxError);
  assert.equal(stack.errorName, 'RangeError');
});

test('a runaway heap is stopped as MEDIA_TOO_COMPLEX and this process lives on', async () => {
  const before = process.memoryUsage().rss;
  await rejectsWith(call('growHeap'), 'MEDIA_TOO_COMPLEX', 20_000);
  assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024);
});

test('memory outside the heap (Buffers) is bounded by the RSS watchdog', async () => {
  await rejectsWith(call('growBuffers'), 'MEDIA_TOO_COMPLEX', 20_000);
  assert.ok(lastSandboxStats()!.peakRssMb < 256 + 200, `peak ${lastSandboxStats()!.peakRssMb} MiB`);
});

test('a call past its time limit is killed', async () => {
  const err = await rejectsWith(
    runSandboxed({ module: TASKS, fn: 'hang', args: [] }, { memoryMb: 256, timeoutMs: 1_500 }),
    'MEDIA_TOO_COMPLEX',
    10_000,
  );
  assert.match(err.message, /longer than/);
});

test('a crashing decoder is reported, not inherited', async () => {
  await rejectsWith(call('crash'), 'MEDIA_TOO_COMPLEX', 20_000);
});

test('an abort kills the child and rejects with the reason', async () => {
  const ac = new AbortController();
  const p = runSandboxed({ module: TASKS, fn: 'hang', args: [] }, { ...limits, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop now')), 200);
  await assert.rejects(p, /stop now/);
});
