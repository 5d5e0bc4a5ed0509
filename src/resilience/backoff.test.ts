import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff.ts';

test('equal-jitter exponential back-off stays within [exp/2, exp] and is capped', () => {
  const opts = { baseMs: 1000, capMs: 10_000 };
  const table: Array<[number, number]> = [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [12, 10_000],
  ];
  for (const [attempt, exp] of table) {
    assert.equal(
      backoffDelayMs(attempt, opts, () => 0),
      exp / 2,
      `attempt ${attempt} low`,
    );
    assert.equal(
      backoffDelayMs(attempt, opts, () => 1),
      exp,
      `attempt ${attempt} high`,
    );
  }
  const samples = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, opts)));
  assert.ok(samples.size > 10, 'jitter spreads the delays');
});
