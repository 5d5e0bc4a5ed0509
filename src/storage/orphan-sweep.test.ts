import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orphanCandidate } from './orphan-sweep.ts';

const ID = '0b8f7c1e-7e0a-4c57-9f3a-6f0a4d5e1c2b';
const CUTOFF = Date.parse('2026-12-01T12:00:00Z');
const old = new Date(CUTOFF - 1);
const young = new Date(CUTOFF + 1);

test('only old files inside an analysis folder are candidates', () => {
  const cases: Array<[string, Date, boolean]> = [
    [`uploads/2026-12-01/${ID}/source.partial-4242-0badf00d`, old, true],
    [`frames/2026-12-01/${ID}/frame-02.jpg`, old, true],
    [`temp/2026-12-01/${ID}/speech/chunk-1.wav`, old, true],
    [`frames/2026-12-01/${ID}/frame-02.jpg`, young, false],
    [`uploads/orphan.bin`, old, false],
    [`backups/2026-12-01/${ID}/dump`, old, false],
    [`frames/2026-12-01/not-an-analysis-id/frame.jpg`, old, false],
    [`frames/2026-12-01/${ID}`, old, false],
    ['admin-key', old, false],
  ];
  for (const [relativePath, modifiedAt, expected] of cases) {
    const c = orphanCandidate({ relativePath, sizeBytes: 3, modifiedAt }, CUTOFF);
    assert.equal(c !== null, expected, relativePath);
    if (c) assert.equal(c.analysisId, ID);
  }
});
