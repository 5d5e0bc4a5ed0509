import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateSeconds } from './analysis.service.ts';

test('estimates are positive per media type', () => {
  for (const t of ['video', 'audio', 'document', 'image', 'unknown'] as const) assert.ok(estimateSeconds(t) > 0);
});
