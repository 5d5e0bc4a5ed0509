import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff.ts';

test('retry n waits between half and all of base·2^(n-1), capped', () => {
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
    const delays = Array.from({ length: 40 }, () => backoffDelayMs(attempt, opts));
    assert.ok(
      delays.every((d) => d >= exp / 2 && d <= exp),
      `attempt ${attempt}: ${Math.min(...delays)}..${Math.max(...delays)}`,
    );
  }
  const samples = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, opts)));
  assert.ok(samples.size > 10, 'jitter spreads the delays');
});
