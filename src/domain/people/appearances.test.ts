import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildAppearances,
  overlap,
  overlaps,
  qualityGate,
  QUALITY_GATE,
  TRACKING,
  type DescribedFace,
} from './appearances.ts';
import { PEOPLE_CALIBRATION } from '../analysis/calibration.ts';
import { cosine, sketch, unitVector, vectorBytes, vectorFromBytes } from './face-vector.ts';
import { FaceIndex, PREFILTER } from './face-index.ts';

/** A unit vector pointing mostly along axis `k` (two such vectors of different k are far apart). */
function person(k: number, jitter = 0): Float32Array {
  const v = new Float32Array(1024).fill(0.01);
  v[k] = 1;
  v[(k + 7) % 1024] = jitter;
  return unitVector(v);
}

const face = (picture: number, seconds: number, shot: number | null, vector: Float32Array, px = 80): DescribedFace => ({
  picture,
  seconds,
  shot,
  box: [0.1 * picture, 0.1, 0.2, 0.3],
  px,
  score: 0.9,
  vector,
});

test('one person through consecutive frames of a shot is one appearance spanning the shot', () => {
  const a = person(1);
  const shots = [{ index: 0, start: 0, end: 3, pictures: [0, 1, 2] }];
  const out = buildAppearances(
    [face(0, 0.5, 0, a), face(1, 1.5, 0, person(1, 0.05), 120), face(2, 2.5, 0, a)],
    shots,
    0.9,
  );
  assert.equal(out.length, 1);
  assert.equal(out[0]!.frames, 3);
  assert.deepEqual([out[0]!.startSeconds, out[0]!.endSeconds], [0, 3]);
  assert.equal(out[0]!.best.px, 120, 'the largest face is the one kept');
});

test('a frame without the person ends the appearance; two people in one frame are two appearances', () => {
  const a = person(1);
  const b = person(2);
  const shots = [{ index: 0, start: 0, end: 10, pictures: [0, 1, 2, 3] }];
  const out = buildAppearances([face(0, 1, 0, a), face(0, 1, 0, b), face(1, 3, 0, b), face(3, 9, 0, a)], shots, 0.9);
  const ofA = out.filter((x) => x.best.vector === a);
  assert.equal(ofA.length, 2, 'absent on frames 1 and 2: two appearances of a');
  assert.deepEqual([ofA[0]!.startSeconds, ofA[0]!.endSeconds], [0, 1]);
  assert.deepEqual([ofA[1]!.startSeconds, ofA[1]!.endSeconds], [9, 10]);
  const ofB = out.filter((x) => x.best.vector === b);
  assert.equal(ofB.length, 1);
  assert.deepEqual([ofB[0]!.startSeconds, ofB[0]!.endSeconds], [0, 3]);
});

/** A unit vector whose cosine with axis 0 is `c` (the rest along axis 1). */
function alike(c: number): Float32Array {
  const v = new Float32Array(1024);
  v[0] = c;
  v[1] = Math.sqrt(1 - c * c);
  return v;
}

test('within a shot, a face in the same place whose description drifts stays one appearance; elsewhere or unlike, it does not', () => {
  const shots = [{ index: 0, start: 0, end: 10, pictures: [0, 1] }];
  const at = (picture: number, seconds: number, vector: Float32Array, box: DescribedFace['box']): DescribedFace => ({
    ...face(picture, seconds, 0, vector),
    box,
  });
  const here: DescribedFace['box'] = [0.4, 0.2, 0.2, 0.3];
  const moved: DescribedFace['box'] = [0.42, 0.21, 0.2, 0.3];
  const across: DescribedFace['box'] = [0.75, 0.2, 0.2, 0.3];
  assert.ok(overlap(here, moved) >= TRACKING.minOverlap);
  assert.equal(overlap(here, across), 0);
  // Two frames of one talking head score about 0.75 (the people evaluation): below 0.92, in place.
  const drifted = [at(0, 2, alike(1), here), at(1, 7, alike(0.75), moved)];
  assert.equal(buildAppearances(drifted, shots, 0.92).length, 1);
  // The same drift on the other side of the frame: two appearances.
  assert.equal(buildAppearances([at(0, 2, alike(1), here), at(1, 7, alike(0.75), across)], shots, 0.92).length, 2);
  // Someone else in the same place: the closest different people in modern photographs score 0.65.
  assert.equal(buildAppearances([at(0, 2, alike(1), here), at(1, 7, alike(0.65), moved)], shots, 0.92).length, 2);
  // Moments far apart (a wide cadence): the place counts for nothing.
  const far = [at(0, 2, alike(1), here), at(1, 2 + TRACKING.maxGapSeconds + 1, alike(0.75), moved)];
  assert.equal(buildAppearances(far, [{ index: 0, start: 0, end: 20, pictures: [0, 1] }], 0.92).length, 2);
  // Across a cut the place counts for nothing.
  const cut = [
    { index: 0, start: 0, end: 5, pictures: [0] },
    { index: 1, start: 5, end: 10, pictures: [1] },
  ];
  const twoShots = [at(0, 2, alike(1), here), { ...at(1, 7, alike(0.75), moved), shot: 1 }];
  assert.equal(buildAppearances(twoShots, cut, 0.92).length, 2);
});

test('faces of different shots are never one appearance; a picture without a shot stands alone', () => {
  const a = person(1);
  const shots = [
    { index: 0, start: 0, end: 2, pictures: [0] },
    { index: 1, start: 2, end: 4, pictures: [1] },
  ];
  assert.equal(buildAppearances([face(0, 1, 0, a), face(1, 3, 1, a)], shots, 0.9).length, 2);
  assert.equal(buildAppearances([face(0, 0, null, a), face(1, 0, null, a)], [], 0.9).length, 2);
});

test('the quality gate turns away small, turned and blurred faces', () => {
  const ok = { px: 80, yaw: 5, pitch: 5, sharpness: 100 };
  assert.equal(qualityGate(ok), 'ok');
  assert.equal(qualityGate({ ...ok, px: QUALITY_GATE.minFacePx - 1 }), 'small');
  assert.equal(qualityGate({ ...ok, px: QUALITY_GATE.minFacePx }), 'ok', 'the minimum itself passes');
  assert.equal(qualityGate({ ...ok, yaw: -(QUALITY_GATE.maxYawDegrees + 1) }), 'turned');
  assert.equal(qualityGate({ ...ok, pitch: QUALITY_GATE.maxPitchDegrees + 1 }), 'turned');
  assert.equal(qualityGate({ ...ok, sharpness: QUALITY_GATE.minSharpness - 1 }), 'blurred');
  assert.equal(qualityGate({ ...ok, sharpness: QUALITY_GATE.minSharpness }), 'ok');
  assert.equal(qualityGate({ ...ok, yaw: null, pitch: null }), 'ok');
  // Small is decided before turned, turned before blurred (the stage counts one reason per face).
  assert.equal(qualityGate({ px: 1, yaw: 90, pitch: 0, sharpness: 0 }), 'small');
  assert.equal(qualityGate({ px: 500, yaw: 90, pitch: 0, sharpness: 0 }), 'turned');
});

test("the gate's size and sharpness minimums are the calibrated ones; another gate can be passed in", () => {
  assert.equal(QUALITY_GATE.minFacePx, PEOPLE_CALIBRATION.minFacePx.value);
  assert.equal(QUALITY_GATE.minSharpness, PEOPLE_CALIBRATION.minSharpness.value);
  const face = { px: 30, yaw: 0, pitch: 0, sharpness: 3 };
  const loose = { minFacePx: 0, maxYawDegrees: 180, maxPitchDegrees: 180, minSharpness: 0 };
  assert.equal(qualityGate(face, loose), 'ok');
  assert.equal(qualityGate(face, { ...loose, minSharpness: 4 }), 'blurred');
  assert.equal(qualityGate(face, { ...loose, minFacePx: 31 }), 'small');
});

test('overlap: times that meet overlap, photographs (no time) overlap only each other', () => {
  assert.ok(overlaps({ startSeconds: 0, endSeconds: 3 }, { startSeconds: 3, endSeconds: 6 }));
  assert.ok(!overlaps({ startSeconds: 0, endSeconds: 3 }, { startSeconds: 6, endSeconds: 9 }));
  assert.ok(overlaps({ startSeconds: null, endSeconds: null }, { startSeconds: null, endSeconds: null }));
  // Without a time: one picture is at once; two pictures (a document's pages) are not.
  const still = { startSeconds: null, endSeconds: null };
  assert.ok(overlaps({ ...still, picture: 0 }, { ...still, picture: 0 }));
  assert.ok(!overlaps({ ...still, picture: 0 }, { ...still, picture: 1 }));
  assert.ok(!overlaps({ startSeconds: null, endSeconds: null }, { startSeconds: 0, endSeconds: 1 }));
});

test('vectors round-trip through their bytes; the face index ranks the nearest stored face first', () => {
  const a = person(3, 0.3);
  assert.ok(Math.abs(cosine(a, vectorFromBytes(vectorBytes(a))) - 1) < 1e-6);
  const index = new FaceIndex();
  assert.deepEqual(index.candidates(sketch(a), 4), []);
  // More faces than the index's first allocation and than its prefilter keeps: it grows, and still finds the one.
  const others = Array.from({ length: 50 }, (_, k) => sketch(person(k * 20 + 10, (k % 7) / 10)));
  const ids: string[] = [];
  const sketches: Buffer[] = [];
  for (let k = 0; k < PREFILTER * 2 + 100; k++) {
    ids.push(String(k + 10));
    sketches.push(k === 1500 ? sketch(person(3, 0.35)) : others[k % others.length]!);
  }
  index.append(ids.slice(0, 700), Buffer.concat(sketches.slice(0, 700)));
  index.append(ids.slice(700), Buffer.concat(sketches.slice(700)));
  assert.equal(index.size, ids.length);
  assert.equal(index.lastId, ids.at(-1));
  assert.equal(index.candidates(sketch(a), 1)[0], '1510');
  assert.equal(index.candidates(sketch(a), 5).length, 5);
  assert.throws(() => index.append(['1'], Buffer.alloc(3)), /one sketch per id/);
});

test('the face index appends rows it already holds once (two catch-ups that read the same rows)', () => {
  const index = new FaceIndex();
  const rows = (from: number, n: number) => {
    const ids = Array.from({ length: n }, (_, k) => String(from + k));
    const codes = Buffer.concat(ids.map((_, k) => sketch(person(k % 50))));
    return [ids, codes] as const;
  };
  index.append(...rows(1, 10));
  index.append(...rows(1, 10));
  assert.equal(index.size, 10);
  index.append(...rows(6, 10));
  assert.equal(index.size, 15, 'rows 6-10 again, 11-15 new');
  assert.equal(index.lastId, '15');
});
