import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VISION_CALIBRATION } from './calibration.ts';
import { describeVision, isFace, moderationVerdict, peopleFromFaces, visionMaterial } from './vision-summary.ts';
import type { VisionResults } from './vision.sections.ts';

const faceT = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
const modT = { explicit: 0.7, suggestive: 0.8, suggestiveSkin: VISION_CALIBRATION.moderationSuggestiveSkin.value };
const scores = (s: Partial<Record<'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy', number>>) => ({
  Drawing: 0,
  Hentai: 0,
  Neutral: 0,
  Porn: 0,
  Sexy: 0,
  ...s,
});

test('a face needs both opinions: BlazeFace and the face mesh', () => {
  // Measured (bench/quality): the astronaut 0.87/1.0; Chelsea the cat 0.83/0.01; a motorcycle 0.47/0.13.
  assert.equal(isFace({ score: 0.87, mesh_score: 1 }, faceT), true);
  assert.equal(isFace({ score: 0.83, mesh_score: 0.01 }, faceT), false, 'the cat: the mesh says no');
  assert.equal(isFace({ score: 0.47, mesh_score: 0.13 }, faceT), false, 'the motorcycle');
  assert.equal(isFace({ score: 0.53, mesh_score: 0.99 }, faceT), false, 'the squirrel: BlazeFace is unsure');
  assert.equal(isFace({ score: 0.9, mesh_score: null }, faceT), false, 'no second opinion, no face');
});

test('"suggestive" needs bare skin, not the Sexy class alone (the football match)', () => {
  // messi5.jpg as measured: Sexy 0.892, bare skin on 0.106 of the people.
  const messi = {
    seconds: 4,
    scores: scores({ Sexy: 0.892, Neutral: 0.077 }),
    skin: { share: 0.106, region: 'people' as const },
  };
  const d = moderationVerdict([messi], modT);
  assert.equal(d.verdict, 'safe');
  assert.match(d.basis, /Sexy 0\.892 at 4 s, but bare skin only 0\.106/);
  // No frame is named "suggestive" on a safe verdict: the basis gives its score and time.
  assert.equal(d.strongest, null);

  const bare = { ...messi, skin: { share: 0.6, region: 'people' as const } };
  const s = moderationVerdict([bare], modT);
  assert.equal(s.verdict, 'suggestive');
  assert.match(s.basis, /Sexy 0\.892 >= 0\.8 and bare skin 0\.6/);

  // A grey picture has no measurable skin: the class alone decides, and the basis says so.
  const grey = moderationVerdict([{ ...messi, skin: null }], modT);
  assert.equal(grey.verdict, 'suggestive');
  assert.match(grey.basis, /skin not measured/);

  // The strongest picture that passes both tests is the one reported.
  const two = moderationVerdict([messi, { ...bare, seconds: 9, scores: scores({ Sexy: 0.85 }) }], modT);
  assert.deepEqual([two.verdict, two.strongest?.seconds, two.strongest?.score], ['suggestive', 9, 0.85]);
});

test('explicit is Porn + Hentai over its threshold; nothing classified is safe', () => {
  const e = moderationVerdict([{ seconds: 0, scores: scores({ Porn: 0.5, Hentai: 0.25 }), skin: null }], modT);
  assert.deepEqual([e.verdict, e.strongest?.score], ['explicit', 0.75]);
  assert.equal(moderationVerdict([], modT).verdict, 'safe');
});

test('the summary and the prompt material carry what counts, not what was below its threshold', () => {
  const results: VisionResults = {
    objects: {
      status: 'completed',
      model: 'm',
      min_score: 0.43,
      labels: [{ label: 'motorcycle', max_count: 1, seconds: [0], best_score: 0.58 }],
      per_shot: [],
      frames: [
        {
          seconds: 0,
          shot: null,
          items: [{ label: 'motorcycle', score: 0.58, box: [0, 0, 1, 1] }],
          below_threshold: [{ label: 'bottle', score: 0.28, box: [0, 0, 0.1, 0.1] }],
        },
      ],
      notes: [],
    },
    faces: {
      status: 'completed',
      model: 'f',
      thresholds: { min_score: faceT.minScore, min_mesh_score: faceT.minMeshScore },
      max_count: 0,
      per_shot: [],
      frames: [
        {
          seconds: 0,
          shot: null,
          count: 0,
          boxes: [],
          items: [],
          below_threshold: [{ score: 0.47, mesh_score: 0.13, box: [0.6, 0.2, 0.1, 0.1], px: 70 }],
        },
      ],
      notes: [],
    },
  };
  const line = describeVision(results, { kind: 'image' });
  assert.equal(line, 'image; a motorcycle');
  const material = visionMaterial(results);
  assert.match(material, /a motorcycle/);
  assert.doesNotMatch(material, /bottle|face/);
});

test('a confirmed face is a person where the detector counted none; an unconfirmed one is not', () => {
  const face = (box: number[], score = 0.9, mesh: number | null = 0.99) => ({ score, mesh_score: mesh, box });
  // The astronaut cropped at the shoulders: CenterNet's person is below its threshold, the face is sure.
  assert.deepEqual(
    peopleFromFaces([{ label: 'flag', box: [0.6, 0, 0.4, 0.5] }], [face([0.4, 0.1, 0.2, 0.25])], faceT),
    [{ label: 'person', score: 0.9, box: [0.4, 0.1, 0.2, 0.25], from: 'face' }],
  );
  // The face lies in a counted person's box: that person is already there.
  assert.deepEqual(
    peopleFromFaces([{ label: 'person', box: [0.3, 0, 0.5, 1] }], [face([0.4, 0.1, 0.2, 0.25])], faceT),
    [],
  );
  // BlazeFace alone on a motorcycle's gauges (the face mesh disagrees), or too unsure: no person.
  assert.deepEqual(
    peopleFromFaces([], [face([0.1, 0.1, 0.1, 0.1], 0.83, 0.01), face([0.5, 0.5, 0.1, 0.1], 0.45)], faceT),
    [],
  );
});
