import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakerOpenError, BreakerRegistry, CircuitBreaker } from './circuit-breaker.ts';

test('opens after 5 consecutive failures, half-opens after 30 s with up to 3 trials, closes on success', async () => {
  let now = 0;
  const changes: string[] = [];
  const b = new CircuitBreaker('p', {
    failureThreshold: 5,
    resetMs: 30_000,
    halfOpenTrials: 3,
    now: () => now,
    onStateChange: (_n, from, to) => changes.push(`${from}->${to}`),
  });
  const fail = () =>
    b.exec(async () => {
      throw new Error('down');
    });
  for (let i = 0; i < 4; i++) await assert.rejects(fail(), /down/);
  assert.equal(b.status.state, 'closed');
  await b.exec(async () => 'ok'); // a success resets the count
  for (let i = 0; i < 5; i++) await assert.rejects(fail(), /down/);
  assert.equal(b.status.state, 'open');
  await assert.rejects(
    b.exec(async () => 'never'),
    (e: unknown) => e instanceof BreakerOpenError && e.retryAfterMs === 30_000,
  );
  now = 29_999;
  assert.equal(b.status.state, 'open');
  now = 30_000;
  assert.equal(b.status.state, 'half_open');
  // Three trial calls may run at once; a fourth is refused.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const trials = [1, 2, 3].map(() => b.exec(() => gate.then(() => 'trial')));
  await assert.rejects(
    b.exec(async () => 'fourth'),
    BreakerOpenError,
  );
  release();
  assert.deepEqual(await Promise.all(trials), ['trial', 'trial', 'trial']);
  assert.equal(b.status.state, 'closed');
  assert.deepEqual(changes, ['closed->open', 'open->half_open', 'half_open->closed']);
});

test('a failed trial opens it again; failures the predicate ignores do not count', async () => {
  let now = 0;
  const b = new CircuitBreaker('p', { failureThreshold: 2, resetMs: 1000, halfOpenTrials: 1, now: () => now });
  const ignored = () =>
    b.exec(
      async () => {
        throw new Error('4xx');
      },
      () => false,
    );
  for (let i = 0; i < 5; i++) await assert.rejects(ignored());
  assert.equal(b.status.state, 'closed');
  for (let i = 0; i < 2; i++)
    await assert.rejects(
      b.exec(async () => {
        throw new Error('5xx');
      }),
    );
  assert.equal(b.status.state, 'open');
  now = 1000;
  await assert.rejects(
    b.exec(async () => {
      throw new Error('still down');
    }),
    /still down/,
  );
  assert.equal(b.status.state, 'open');
  const reg = new BreakerRegistry({ failureThreshold: 1, resetMs: 10, halfOpenTrials: 1 });
  assert.equal(reg.get('a'), reg.get('a'));
  assert.deepEqual(reg.states(), { a: { state: 'closed', consecutive_failures: 0 } });
});
