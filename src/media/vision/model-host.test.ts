/**
 * The model host with the REAL models (human CenterNet + BlazeFace, nsfwjs MobileNetV2)
 * on real photographs from Debian's python3-skimage. One host (one model load) for the
 * file; failure cases use hosts whose models cannot load or whose time limit is too short.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ModelHost, ModelHostError } from './model-host.ts';
import { isTaskError, type DetectedObject } from './vision.types.ts';
import { hasPhotos, photo } from '../../../test/helpers/photos.ts';

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
