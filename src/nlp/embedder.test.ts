/**
 * The embedding thread with the real model: vectors are unit length and 512-d, and an
 * aborted caller stops between batches instead of keeping the shared thread busy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbedder, EMBED_BATCH, EMBEDDING_DIMS, lengthOrder } from './embedder.ts';

const embedder = createEmbedder();
after(() => embedder.close());

test('texts become 512-d unit vectors, similar texts closer than unrelated ones', async () => {
  const [cat, kitten, tax] = await embedder.embed([
    'a cat sleeps on the sofa',
    'a kitten naps on the couch',
    'quarterly tax return',
  ]);
  for (const v of [cat!, kitten!, tax!]) {
    assert.equal(v.length, EMBEDDING_DIMS);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 0.01);
  }
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  assert.ok(dot(cat!, kitten!) > dot(cat!, tax!) + 0.1);
});

test('an aborted embed stops between batches, and the thread serves the next caller at once', async () => {
  const many = Array.from({ length: EMBED_BATCH * 50 }, (_, i) => `sentence number ${i} about harbours and ships`);
  const controller = new AbortController();
  const pending = embedder.embed(many, controller.signal);
  setTimeout(() => controller.abort(new Error('stage stopped')), 50);
  await assert.rejects(pending, /stage stopped/);
  // Had the 50 batches gone on in the background, this call would queue behind them.
  const t0 = performance.now();
  const [v] = await embedder.embed(['one more']);
  const ms = performance.now() - t0;
  assert.equal(v!.length, EMBEDDING_DIMS);
  const perBatch = await (async () => {
    const s = performance.now();
    await embedder.embed(many.slice(0, EMBED_BATCH));
    return performance.now() - s;
  })();
  assert.ok(ms < perBatch * 5, `next call waited ${Math.round(ms)} ms (one batch takes ${Math.round(perBatch)} ms)`);
});

test('concurrent calls share a message to the thread, and each gets the vectors of its own texts', async () => {
  const texts = ['a boat in the harbour', 'quarterly tax return', 'a kitten naps', 'the server crashed', 'rain'];
  const alone = await embedder.embed(texts);
  // Five callers at once: the first goes out alone, the other four wait and go out together.
  const together = await Promise.all(texts.map((t) => embedder.embed([t])));
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  texts.forEach((t, i) => {
    assert.equal(together[i]!.length, 1);
    assert.ok(dot(together[i]![0]!, alone[i]!) > 0.999, `${t}: not its own vector`);
    if (i > 0) assert.ok(dot(together[i]![0]!, alone[i - 1]!) < 0.99, `${t}: its neighbour's vector`);
  });
});

test('a long call is embedded shortest texts first, and every vector comes back in the caller order', async () => {
  // Lengths that interleave across batches: in length order, the batches hold other texts than in call order.
  const texts = Array.from({ length: EMBED_BATCH * 2 + 5 }, (_, i) =>
    i % 3 === 0
      ? `ship ${i}`
      : `a long sentence number ${i} about the harbour master and the ships he counts each morning`,
  );
  const together = await embedder.embed(texts);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  assert.equal(together.length, texts.length);
  for (const i of [0, 1, 2, EMBED_BATCH, texts.length - 1]) {
    const [alone] = await embedder.embed([texts[i]!]);
    assert.ok(dot(together[i]!, alone!) > 0.9999, `text ${i} did not get its own vector`);
  }
});

test('lengthOrder: shortest first, equal lengths in the order given', () => {
  assert.deepEqual(lengthOrder(['ccc', 'a', 'bb', 'd', '']), [4, 1, 3, 2, 0]);
  assert.deepEqual(lengthOrder([]), []);
});
