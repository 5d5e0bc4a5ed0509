/**
 * Face descriptions with the REAL models (BlazeFace and the face mesh in human, face-api's
 * landmark and recognition nets) in this thread, on Debian's photographs: 128 numbers a
 * face, the same with and without `describeOnly`; the candidates the thresholds reject
 * get none; no tensor is left behind; the astronaut and a close crop of her are one person
 * at the calibrated threshold, she and Grace Hopper are not.
 */
import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { VisionModels } from './vision-models.ts';
import { DESCRIPTION_LENGTH } from './face-description.ts';
import { isTaskError, type DetectedFace } from './vision.types.ts';
import { hasPhotos, photo } from '../../../test/helpers/photos.ts';
import { PEOPLE_CALIBRATION, VISION_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { isFace } from '../../domain/analysis/vision-summary.ts';
import { cosine, FACE_VECTOR_LENGTH, unitVector } from '../../domain/people/face-vector.ts';

const THRESHOLDS = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
const HOPPER = '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg';
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { memory(): { numTensors: number } };
const faces = (f: unknown): DetectedFace[] => (Array.isArray(f) && !isTaskError(f) ? (f as DetectedFace[]) : []);

let models: VisionModels;
before(async () => {
  if (!hasPhotos()) return;
  models = new VisionModels({ describeFaces: true });
  await models.preload(['faces']);
});

async function described(file: string | Buffer): Promise<Float32Array> {
  const r = await models.analyze(file, ['faces'], { describeFaces: true, describeOnly: THRESHOLDS });
  const best = faces(r.faces)
    .filter((f) => f.description)
    .sort((a, b) => b.px - a.px)[0];
  assert.ok(best?.description, JSON.stringify(r.faces));
  return unitVector(best.description.vector);
}

describe('faces described only where they count', { skip: !hasPhotos() && 'python3-skimage is not installed' }, () => {
  test("the astronaut's description is the same with or without thresholds; the motorcycle's candidates get none", async () => {
    assert.equal(DESCRIPTION_LENGTH, FACE_VECTOR_LENGTH, 'the model and the store agree on the length');
    const own = await models.analyze(photo('astronaut.png'), ['faces'], { describeFaces: true });
    const tensors = tf.memory().numTensors;
    assert.ok(tensors > 0, "the models' weights: the tfjs the models run on");
    const gated = await models.analyze(photo('astronaut.png'), ['faces'], {
      describeFaces: true,
      describeOnly: THRESHOLDS,
    });
    assert.equal(tf.memory().numTensors, tensors, 'every face crop disposed');
    const [a] = faces(own.faces);
    const [b] = faces(gated.faces);
    assert.ok(a?.description && b?.description, JSON.stringify(gated.faces));
    assert.ok(isFace(b, THRESHOLDS));
    assert.equal(b.description.vector.length, DESCRIPTION_LENGTH);
    assert.deepEqual(b.description, a.description);

    // BlazeFace sees faces in the motorcycle; the mesh disagrees. Without thresholds every
    // candidate is described; with them, none of these.
    const all = await models.analyze(photo('motorcycle_left.png'), ['faces'], { describeFaces: true });
    assert.ok(faces(all.faces).length > 0 && faces(all.faces).every((f) => f.description), JSON.stringify(all.faces));
    const only = await models.analyze(photo('motorcycle_left.png'), ['faces'], {
      describeFaces: true,
      describeOnly: THRESHOLDS,
    });
    assert.equal(faces(only.faces).length, faces(all.faces).length, 'the same candidates, still reported');
    assert.ok(
      faces(only.faces).every((f) => !isFace(f, THRESHOLDS) && !f.description),
      JSON.stringify(only.faces),
    );
    assert.equal(tf.memory().numTensors, tensors);
  });

  test(
    'the astronaut and a close crop of her are one person; she and Grace Hopper are not',
    {
      skip: !existsSync(HOPPER) && 'python-matplotlib-data is not installed',
    },
    async () => {
      const sameAt = PEOPLE_CALIBRATION.samePerson.value;
      const whole = await described(photo('astronaut.png'));
      const crop = await described(
        await sharp(photo('astronaut.png'))
          .extract({ left: 110, top: 10, width: 300, height: 300 })
          .resize(200)
          .png()
          .toBuffer(),
      );
      const hopper = await described(HOPPER);
      assert.ok(cosine(whole, crop) >= sameAt, `astronaut and her crop: ${cosine(whole, crop)}`);
      assert.ok(cosine(whole, hopper) < sameAt, `astronaut and Grace Hopper: ${cosine(whole, hopper)}`);
    },
  );
});
