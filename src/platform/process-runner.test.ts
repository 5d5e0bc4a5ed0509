import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProcess, ProcessError } from './process-runner.ts';

test('captures stdout and a stderr tail', async () => {
  const r = await runProcess('sh', ['-c', 'echo out; echo err >&2'], { timeoutMs: 5000 });
  assert.equal(r.stdout.toString().trim(), 'out');
  assert.equal(r.stderrTail.trim(), 'err');
});

test('non-zero exit, timeout, abort and spawn failure are told apart', async () => {
  await assert.rejects(
    runProcess('sh', ['-c', 'echo broken >&2; exit 3'], { timeoutMs: 5000 }),
    (e: unknown) =>
      e instanceof ProcessError && e.reason === 'exit' && e.exitCode === 3 && e.stderrTail.includes('broken'),
  );
  await assert.rejects(
    runProcess('sleep', ['5'], { timeoutMs: 100 }),
    (e: unknown) => e instanceof ProcessError && e.reason === 'timeout',
  );
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(
    runProcess('sleep', ['5'], { timeoutMs: 5000, signal: ac.signal }),
    (e: unknown) => e instanceof ProcessError && e.reason === 'aborted',
  );
  await assert.rejects(
    runProcess('/no/such/binary', [], { timeoutMs: 1000 }),
    (e: unknown) => e instanceof ProcessError && e.reason === 'spawn',
  );
  await assert.rejects(
    runProcess('sleep', ['5'], { timeoutMs: 5000, signal: AbortSignal.abort() }),
    (e: unknown) => e instanceof ProcessError && e.reason === 'aborted',
  );
});

test('stderr keeps only its tail', async () => {
  const r = await runProcess('sh', ['-c', 'i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done'], {
    timeoutMs: 5000,
  });
  assert.ok(r.stderrTail.length <= 4096);
  assert.ok(r.stderrTail.trim().endsWith('line1999'));
});
