/**
 * Describing only the confirmed faces (`describeOnly`), with the REAL models (BlazeFace,
 * the face mesh, faceres) in this thread, on Debian's python3-skimage photographs: the
 * description is human's own, to the last digit; the candidates the thresholds reject get
 * none; no tensor is left behind, and a call without thresholds after it is as before.
 */
import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { VisionModels } from './vision-models.ts';
import { isTaskError, type DetectedFace } from './vision.types.ts';
import { hasPhotos, photo } from '../../../test/helpers/photos.ts';
import { VISION_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { isFace } from '../../domain/analysis/vision-summary.ts';

const THRESHOLDS = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { memory(): { numTensors: number } };
const faces = (f: unknown): DetectedFace[] => (Array.isArray(f) && !isTaskError(f) ? (f as DetectedFace[]) : []);

let models: VisionModels;
before(async () => {
  if (!hasPhotos()) return;
  models = new VisionModels({ describeFaces: true });
  await models.preload(['faces']);
});

describe('faces described only where they count', { skip: !hasPhotos() && 'python3-skimage is not installed' }, () => {
  test("the astronaut's description is human's own; the motorcycle's candidates get none", async () => {
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
    assert.equal(b.description.vector.length, 1024);
    assert.deepEqual(b.description, a.description);

    // BlazeFace sees faces in the motorcycle; the mesh disagrees: human describes them all.
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

    // Human keeps a call's settings: a call without thresholds afterwards describes as before.
    const again = await models.analyze(photo('astronaut.png'), ['faces'], { describeFaces: true });
    assert.deepEqual(faces(again.faces)[0]?.description, a.description);
    assert.equal(tf.memory().numTensors, tensors);
  });
});
