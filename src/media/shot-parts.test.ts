import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OVERLAP_SECONDS, joinIntervals, mergeParts, partCount, partRanges } from './shot-parts.ts';

test('a long video is cut into one part per core (at most 4, each at least 30 s); a short one is not', () => {
  assert.equal(partCount(20, 2), 1);
  assert.equal(partCount(Number.NaN, 2), 1, 'unknown duration: one pass');
  assert.equal(partCount(600, 2), 2);
  assert.equal(partCount(600, 16), 4);
  assert.equal(partCount(70, 8), 2);
  const r = partRanges(600, 2);
  assert.deepEqual(r, [
    { from: 0, to: 300, readFrom: 0 },
    { from: 300, to: Number.POSITIVE_INFINITY, readFrom: 300 - OVERLAP_SECONDS },
  ]);
});

test('merging: each cut and sample from the part that owns its time, in video time; stretches joined', () => {
  const [a, b] = partRanges(600, 2) as [ReturnType<typeof partRanges>[0], ReturnType<typeof partRanges>[0]];
  const merged = mergeParts([
    {
      range: a,
      cuts: [{ seconds: 100, score: 40 }],
      samples: [{ seconds: 299.5, luma: 100, blur: 2 }],
      black: [{ start: 298, end: 300 }],
      frozen: [],
    },
    {
      range: b,
      // 297 + 2 = 299: the overlap, already the first part's; 297 + 3 = 300: the boundary, this part's.
      cuts: [
        { seconds: 2, score: 30 },
        { seconds: 3, score: 50 },
      ],
      samples: [
        { seconds: 2.5, luma: 90, blur: 3 },
        { seconds: 3.5, luma: 80, blur: 1 },
      ],
      black: [{ start: 1, end: 4.5 }],
      frozen: [{ start: 10, end: 20 }],
    },
  ]);
  assert.deepEqual(merged.cuts, [
    { seconds: 100, score: 40 },
    { seconds: 300, score: 50 },
  ]);
  assert.deepEqual(
    merged.samples.map((s) => s.seconds),
    [299.5, 300.5],
  );
  assert.deepEqual(merged.black, [{ start: 298, end: 301.5 }], 'a black stretch across the boundary is one');
  assert.deepEqual(merged.frozen, [{ start: 307, end: 317 }]);
  assert.deepEqual(
    joinIntervals([
      { start: 5, end: 6 },
      { start: 1, end: 2.5 },
      { start: 2, end: 3 },
      { start: 3, end: 4 },
    ]),
    [
      { start: 1, end: 3 },
      { start: 3, end: 4 },
      { start: 5, end: 6 },
    ],
    'overlapping stretches join; two stills back to back (one ends where the next begins) stay two',
  );
  assert.equal(partRanges(600, 2, 5)[1]!.readFrom, 295, 'a longer overlap for longer stretches');
});
