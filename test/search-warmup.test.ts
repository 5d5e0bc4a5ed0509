/**
 * An API process loads the search index and the embedding model as it starts
 * (SEARCH_WARM_AT_START, on by default), so the first search does not wait for them;
 * turned off, nothing loads until a search asks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, auth, waitFor } from './helpers/app.ts';

const LOADED = /search index and model loaded/;

test('with SEARCH_WARM_AT_START the index and the model load before any search', async () => {
  const t = await createTestApp({ SEARCH_WARM_AT_START: 'true' });
  try {
    await waitFor(async () => t.logs.some((l) => LOADED.test(l)), 60_000);
    const line = JSON.parse(t.logs.find((l) => LOADED.test(l))!) as { segments: number; ms: number };
    assert.equal(line.segments, 0, 'a new database has no segments yet');
    assert.ok(line.ms >= 0);
    // The first search then finds the model loaded: its embedding is one query's work, not a model load.
    const res = await t.app.inject({ method: 'GET', url: '/api/media/search?q=harbour', headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 200, res.body);
  } finally {
    await t.close();
  }
});

test('without it nothing loads until a search asks', async () => {
  const t = await createTestApp({ SEARCH_WARM_AT_START: 'false' });
  try {
    // The model of this process is already loaded (the test above): a warm-up would log within milliseconds.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!t.logs.some((l) => LOADED.test(l)));
  } finally {
    await t.close();
  }
});
