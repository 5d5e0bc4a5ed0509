/**
 * The model host with the REAL models (human CenterNet + BlazeFace, nsfwjs MobileNetV2)
 * on real photographs from Debian's python3-skimage. One host (one model load) for the
 * file; failure cases use hosts whose models cannot load or whose time limit is too short.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { ModelHost, ModelHostError } from './model-host.ts';
import { isTaskError, type DetectedFace, type DetectedObject } from './vision.types.ts';
import { hasPhotos, photo } from '../../../test/helpers/photos.ts';
import { framesAtArgs } from '../ffmpeg.ts';
import { VISION_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { isFace, moderationVerdict } from '../../domain/analysis/vision-summary.ts';

const OPTS = { callTimeoutMs: 120_000, maxHeapMb: 1024 };
let host: ModelHost;
let dir: string;

before(async () => {
  host = new ModelHost(OPTS);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-vision-'));
  await host.preload(['objects', 'faces', 'moderation']);
});
after(async () => {
  await host.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** opencv-doc's sample photographs (messi5, basketball); Debian package `opencv-doc`. */
const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
const hasOpencvPhotos = () => fsSync.existsSync(`${OPENCV_DATA}/messi5.jpg`);

/** What the product counts as faces, with the calibrated thresholds. */
const FACE_T = {
  minScore: VISION_CALIBRATION.faceMinScore.value,
  minMeshScore: VISION_CALIBRATION.faceMinMeshScore.value,
};
const facesCounted = (f: unknown) => (Array.isArray(f) ? (f as DetectedFace[]).filter((x) => isFace(x, FACE_T)) : []);

/** A photo scaled (stretched) into a 1280x720 video, and the 640-px JPEG frame the pipeline takes from it. */
function videoFrame(file: string, out: string): string {
  const video = `${out}.mp4`;
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-t', '1', '-i', file],
    ...['-vf', 'scale=1280:720,setsar=1,fps=25,format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', video],
  ]);
  execFileSync('ffmpeg', framesAtArgs(video, [{ seconds: 0.5, output: `${out}.jpg` }], 640));
  return `${out}.jpg`;
}

const labels = (o: unknown) => (Array.isArray(o) ? (o as DetectedObject[]).map((x) => x.label) : []);

describe('real photographs', { skip: !hasPhotos() && 'python3-skimage is not installed' }, () => {
  test('the astronaut: a person with one face; moderation neutral', async () => {
    const r = await host.analyze(photo('astronaut.png'), ['objects', 'faces', 'moderation']);
    assert.ok(labels(r.objects).includes('person'), JSON.stringify(r.objects));
    assert.ok(Array.isArray(r.faces) && r.faces.length === 1, JSON.stringify(r.faces));
    const [x, y, w, h] = (r.faces as Array<{ box: number[] }>)[0]!.box as [number, number, number, number];
    assert.ok(x > 0.2 && x + w < 0.8 && y < 0.5 && h < 0.6, `face box ${[x, y, w, h]}`);
    assert.ok(!isTaskError(r.moderation) && r.moderation!.Neutral > 0.8, JSON.stringify(r.moderation));
  });

  test('the coffee cup and the motorcycle', async () => {
    const coffee = await host.analyze(photo('coffee.png'), ['objects']);
    assert.ok(labels(coffee.objects).includes('cup'), JSON.stringify(coffee.objects));
    assert.equal(coffee.faces, undefined, 'only what was asked');
    const moto = await host.analyze(photo('motorcycle_left.png'), ['objects']);
    assert.ok(labels(moto.objects).includes('motorcycle'), JSON.stringify(moto.objects));
  });

  test('a motorcycle in a 1280x720 video: BlazeFace sees faces, the face mesh does not agree, none is counted', async () => {
    const frame = videoFrame(photo('motorcycle_left.png'), path.join(dir, 'motorcycle'));
    const r = await host.analyze(frame, ['faces']);
    assert.ok(Array.isArray(r.faces), JSON.stringify(r.faces));
    // The reported bug: two boxes on the motorcycle (BlazeFace 0.49 and 0.48).
    assert.ok(r.faces.length >= 1, `the candidates are still reported, marked: ${JSON.stringify(r.faces)}`);
    for (const f of r.faces) assert.ok(typeof f.mesh_score === 'number' && f.px > 0, JSON.stringify(f));
    assert.deepEqual(facesCounted(r.faces), [], JSON.stringify(r.faces));
    const still = await host.analyze(photo('motorcycle_left.png'), ['faces']);
    assert.deepEqual(facesCounted(still.faces), [], JSON.stringify(still.faces));
  });

  test("the astronaut's face is still counted, as a still and as a video frame", async () => {
    for (const file of [photo('astronaut.png'), videoFrame(photo('astronaut.png'), path.join(dir, 'astronaut'))]) {
      const r = await host.analyze(file, ['faces']);
      assert.equal(facesCounted(r.faces).length, 1, JSON.stringify(r.faces));
    }
  });

  test('an image far larger than the models take is scaled, not refused', async () => {
    const big = path.join(dir, 'big.jpg');
    await sharp(photo('astronaut.png')).resize(2400, 2400).jpeg().toFile(big);
    const r = await host.analyze(big, ['objects', 'faces']);
    assert.equal(r.width, 2400);
    assert.deepEqual(r.scaled_to, { width: 800, height: 800 });
    assert.ok(labels(r.objects).includes('person'));
  });
});

test('a picture that does not decode fails that call; the host goes on', async () => {
  const bad = path.join(dir, 'bad.jpg');
  await fs.writeFile(bad, Buffer.from('not a jpeg at all'));
  await assert.rejects(host.analyze(bad, ['objects']), (err: ModelHostError) => err.code === 'MODEL_FAILED');
  const blank = path.join(dir, 'blank.png');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
    .png()
    .toFile(blank);
  const r = await host.analyze(blank, ['objects', 'moderation']);
  assert.deepEqual(r.objects, []);
  assert.equal(host.starts, 1, 'one thread, one model load for the whole file');
});

test('models that fail to load fail their capability with MODEL_LOAD_FAILED; the others work', async () => {
  const empty = await fs.mkdtemp(path.join(dir, 'no-models-'));
  const broken = new ModelHost({ ...OPTS, humanModelsDir: empty, moderationModel: `file://${empty}/missing.json` });
  try {
    const blank = path.join(dir, 'blank2.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .png()
      .toFile(blank);
    const r = await broken.analyze(blank, ['objects', 'faces', 'moderation']);
    for (const k of ['objects', 'faces', 'moderation'] as const) {
      assert.ok(isTaskError(r[k]), k);
      assert.equal((r[k] as { error: { code: string } }).error.code, 'MODEL_LOAD_FAILED');
    }
    assert.ok(r.width === 64, 'the picture itself was read');
  } finally {
    await broken.close();
  }
});

test('a call past its time limit stops the thread (MODEL_TIMEOUT); the next call gets a new one', async () => {
  const slow = new ModelHost({ callTimeoutMs: 300, maxHeapMb: 512 });
  try {
    const file = photo('astronaut.png');
    await assert.rejects(slow.analyze(file, ['objects']), (err: ModelHostError) => err.code === 'MODEL_TIMEOUT');
    await assert.rejects(slow.analyze(file, ['objects']), (err: ModelHostError) => err.code === 'MODEL_TIMEOUT');
    assert.equal(slow.starts, 2, 'a fresh thread after the runaway one was stopped');
  } finally {
    await slow.close();
  }
});

describe('opencv-doc photographs', { skip: !hasOpencvPhotos() && 'opencv-doc is not installed' }, () => {
  const moderation = {
    explicit: 0.7,
    suggestive: 0.8,
    suggestiveSkin: VISION_CALIBRATION.moderationSuggestiveSkin.value,
  };

  test('a football match is not "suggestive": the Sexy class fires, the players are clothed', async () => {
    const r = await host.analyze(`${OPENCV_DATA}/messi5.jpg`, ['objects', 'faces', 'moderation']);
    assert.ok(!isTaskError(r.moderation) && r.moderation, JSON.stringify(r.moderation));
    // The class alone would say suggestive (the reported bug).
    assert.ok(r.moderation.Sexy >= moderation.suggestive, `Sexy ${r.moderation.Sexy}`);
    assert.ok(r.skin && r.skin.region === 'people', JSON.stringify(r.skin));
    const d = moderationVerdict([{ seconds: 0, scores: r.moderation, skin: r.skin }], moderation);
    assert.equal(d.verdict, 'safe', d.basis);
    assert.match(d.basis, /bare skin only/);
    assert.equal(facesCounted(r.faces).length, 1, 'the player; the blurred crowd is not counted');
  });

  test('basketball: the player facing the camera has a face', async () => {
    const r = await host.analyze(`${OPENCV_DATA}/basketball1.png`, ['objects', 'faces', 'moderation']);
    assert.equal(facesCounted(r.faces).length, 1, JSON.stringify(r.faces));
    assert.equal(r.skin, null, 'a grey picture: skin is not measurable');
    assert.ok(!isTaskError(r.moderation) && r.moderation);
    assert.equal(moderationVerdict([{ seconds: 0, scores: r.moderation, skin: r.skin }], moderation).verdict, 'safe');
  });
});
