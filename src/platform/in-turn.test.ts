import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTurn } from './in-turn.ts';

test('results in the items’ order, never more than `parallel` calls at once, the next item to the first free call', async () => {
  let running = 0;
  let most = 0;
  const finished: number[] = [];
  // Item 0 is slow: items 1 to 4 go through the other call meanwhile.
  const delays = [80, 5, 5, 5, 5];
  const out = await inTurn([0, 1, 2, 3, 4], 2, async (i) => {
    running++;
    most = Math.max(most, running);
    await sleep(delays[i]!);
    running--;
    finished.push(i);
    return i * 10;
  });
  assert.deepEqual(out, [0, 10, 20, 30, 40]);
  assert.equal(most, 2);
  assert.deepEqual(finished, [1, 2, 3, 4, 0]);
});

test('one at a time with parallel 1; an empty list is an empty result', async () => {
  const order: string[] = [];
  await inTurn(['a', 'b', 'c'], 1, async (x) => {
    order.push(`start ${x}`);
    await sleep(2);
    order.push(`end ${x}`);
  });
  assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  assert.deepEqual(await inTurn([], 4, async () => 1), []);
});

test('after a failure nothing new starts, the calls in hand finish, then the first error is thrown', async () => {
  const done: number[] = [];
  let finishedBeforeThrow = false;
  await assert.rejects(
    inTurn([0, 1, 2, 3, 4, 5], 2, async (i) => {
      if (i === 0) {
        await sleep(1);
        throw new Error('first');
      }
      await sleep(30);
      done.push(i);
      if (i === 1) finishedBeforeThrow = true;
    }),
    /first/,
  );
  // Item 1 was in hand when item 0 failed: it finished before the error came out; 2..5 never started.
  assert.equal(finishedBeforeThrow, true);
  assert.deepEqual(done, [1]);
});

test('an aborted signal stops taking items and throws its reason', async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    inTurn(
      [0, 1, 2, 3],
      1,
      async (i) => {
        seen.push(i);
        if (i === 1) controller.abort(new Error('stopped'));
      },
      controller.signal,
    ),
    /stopped/,
  );
  assert.deepEqual(seen, [0, 1]);
});
