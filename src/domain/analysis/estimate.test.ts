import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateSeconds } from './estimate.ts';

test('before enough runs, a fixed estimate per media type', () => {
  for (const t of ['video', 'audio', 'document', 'image', 'unknown'] as const) assert.ok(estimateSeconds(t, null) > 0);
  const few = { runs: 4, medianMs: 90_000, medianMsPerMb: 9_000 };
  assert.equal(estimateSeconds('video', 50e6, few), estimateSeconds('video', null));
});

test('with past runs: median time per MB times the upload size, or the median time for a URL', () => {
  const stats = { runs: 40, medianMs: 12_000, medianMsPerMb: 2_000 };
  assert.equal(estimateSeconds('video', 50e6, stats), 100); // 50 MB × 2 s/MB
  assert.equal(estimateSeconds('video', 200e3, stats), 2); // under 1 MB counts as 1 MB
  assert.equal(estimateSeconds('video', null, stats), 12); // a URL: size unknown at submit
  assert.equal(estimateSeconds('audio', 5e6, { runs: 40, medianMs: 3_000, medianMsPerMb: null }), 3);
});
