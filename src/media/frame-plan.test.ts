import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEAR_COPY_LEVELS, nearCopy, planFaceMoments } from './frame-plan.ts';
import { SAMPLE_SECONDS, THUMB_HEIGHT, THUMB_WIDTH, type Sample, type Shot } from './shots.ts';

const CELLS = THUMB_WIDTH * THUMB_HEIGHT * 3;

/** Shots of `seconds` each, one after another. */
function shots(count: number, seconds: number): Shot[] {
  return Array.from({ length: count }, (_, i) => ({
    index: i,
    start: i * seconds,
    end: (i + 1) * seconds,
    cut_score: 20,
    keyframe_seconds: i * seconds + seconds / 2,
    scene: i,
  }));
}

/**
 * A sample every SAMPLE_SECONDS over `seconds`, each thumbnail from `picture(t)`: a still
 * whose cells wander by up to `grain` levels (film grain and compression drift).
 */
function samples(seconds: number, picture: (t: number) => number[], grain = NEAR_COPY_LEVELS - 1): Sample[] {
  return Array.from({ length: Math.round(seconds / SAMPLE_SECONDS) }, (_, i) => {
    const t = i * SAMPLE_SECONDS;
    return {
      seconds: t,
      luma: 120,
      blur: 3,
      thumb: Uint8Array.from(picture(t), (v, c) => v + (((i + c) % 3) - 1) * (grain / 2)),
    };
  });
}

const still = () => Array.from({ length: CELLS }, (_, c) => 60 + c * 4);

test('near copies: no cell moved by more than NEAR_COPY_LEVELS in any colour', () => {
  const a = Uint8Array.from(still());
  const b = Uint8Array.from(a, (v, i) => (i === 7 ? v + NEAR_COPY_LEVELS : v - NEAR_COPY_LEVELS));
  assert.ok(nearCopy(a, b));
  assert.ok(
    !nearCopy(
      a,
      Uint8Array.from(a, (v, i) => (i === 7 ? v + NEAR_COPY_LEVELS + 1 : v)),
    ),
  );
  assert.ok(!nearCopy(a, a.slice(1)), 'thumbnails of different sizes are never copies');
  assert.ok(!nearCopy(new Uint8Array(0), new Uint8Array(0)));
});

test('moments for faces: none where the picture is a near copy of one already looked at in the shot', () => {
  // One 30-s shot of a grainy still, its frame at 15 s: nothing else to look at.
  const frame = [{ seconds: 15 }];
  assert.deepEqual(planFaceMoments(shots(1, 30), samples(30, still), frame, 5, 60), []);
  // The same shot without thumbnails (nothing to compare): a moment in every other slice.
  const blind = samples(30, still).map(({ seconds, luma, blur }) => ({ seconds, luma, blur }));
  assert.equal(planFaceMoments(shots(1, 30), blind, frame, 5, 60).length, 5);

  // Someone comes into one part of the picture (one cell, 30 levels) from 21 to 25 s: that
  // slice gets its moment, while they are there; the rest of the shot still needs none.
  const visitor = (t: number) => still().map((v, c) => (t >= 21 && t < 25 && c < 3 ? v + 30 : v));
  const seen = planFaceMoments(shots(1, 30), samples(30, visitor), frame, 5, 60);
  assert.equal(seen.length, 1, JSON.stringify(seen));
  assert.ok(seen[0]!.seconds >= 21 && seen[0]!.seconds < 25, JSON.stringify(seen));

  // Within a shot, the first look at a picture is kept and its copies are not; another
  // shot showing the same picture is looked at on its own (someone may be there this time).
  const two = planFaceMoments(shots(2, 15), samples(30, still), [], 5, 60);
  assert.deepEqual(
    two.map((m) => m.shot),
    [0, 1],
    JSON.stringify(two),
  );
  // A drift beyond the guard is a change: each slice is looked at.
  const drifting = (t: number) => still().map((v) => v + Math.floor(t / 5) * (NEAR_COPY_LEVELS + 2));
  assert.equal(planFaceMoments(shots(1, 30), samples(30, drifting, 0), frame, 5, 60).length, 5);
});
