/**
 * The model-host pool with the REAL models on real photographs (Debian python3-skimage):
 * pictures sent at once go to the hosts side by side and come back as a lone host sees
 * them; one picture at a time keeps to one thread; the wait for a free host is not
 * counted against a call's time limit; closing fails the calls still waiting.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ModelHost, ModelHostError } from './model-host.ts';
import { ModelHostPool, modelHostCount } from './model-host-pool.ts';
import type { VisionTask } from './vision.types.ts';
import { hasPhotos, photo } from '../../../test/helpers/photos.ts';

const OPTS = { callTimeoutMs: 120_000, maxHeapMb: 1024 };
const TASKS: VisionTask[] = ['objects', 'faces', 'moderation'];

test('hosts: VISION_MODEL_HOSTS, at most the CPU budget and the cores, at least one', () => {
  const count = (modelHosts: number, cpuBudget: number, cores: number) =>
    modelHostCount({ vision: { modelHosts }, worker: { cpuBudget } }, cores);
  assert.equal(count(2, 2, 2), 2);
  assert.equal(count(2, 2, 1), 1, 'one core: one host');
  assert.equal(count(4, 2, 8), 2, 'no more than the stage may keep busy');
  assert.equal(count(1, 8, 8), 1, 'the setting is a ceiling');
  assert.equal(count(8, 16, 4), 4);
  assert.throws(() => new ModelHostPool(0, OPTS), RangeError);
});

describe('real photographs', { skip: !hasPhotos() && 'python3-skimage is not installed' }, () => {
  const files = ['astronaut.png', 'coffee.png', 'motorcycle_left.png', 'horse.png'].map(photo);

  test('pictures sent at once go to two hosts side by side and come back as one host sees them, in order', async () => {
    const lone = new ModelHost(OPTS);
    const pool = new ModelHostPool(2, OPTS);
    try {
      const alone = [];
      for (const f of files) alone.push(await lone.analyze(f, TASKS));
      const together = await Promise.all(files.map((f) => pool.analyze(f, TASKS)));
      assert.equal(pool.starts, 2, 'both hosts were used');
      for (const [i, v] of together.entries()) {
        assert.deepEqual(v.objects, alone[i]!.objects, files[i]);
        assert.deepEqual(v.faces, alone[i]!.faces, files[i]);
        assert.deepEqual(v.moderation, alone[i]!.moderation, files[i]);
      }
      assert.ok(
        (together[2]!.objects as Array<{ label: string }>).some((o) => o.label === 'motorcycle'),
        'each answer is its own picture’s',
      );
    } finally {
      await lone.close();
      await pool.close();
    }
  });

  test('one picture at a time keeps to one thread (the second copy of the models is never loaded)', async () => {
    const pool = new ModelHostPool(2, OPTS);
    try {
      for (const f of files.slice(0, 2)) await pool.analyze(f, ['objects']);
      assert.equal(pool.starts, 1);
    } finally {
      await pool.close();
    }
  });

  test('the wait for a free host does not count against a call’s time limit; closing fails the calls still waiting', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-pool-'));
    // One host whose limit allows one call (well over one inference) but not the queue of twenty:
    // a lone host would time the queued calls out (its limit runs from the moment a call is sent).
    const pool = new ModelHostPool(1, { callTimeoutMs: 2_000, maxHeapMb: 1024 });
    try {
      const blank = path.join(dir, 'blank.png');
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
        .png()
        .toFile(blank);
      await pool.preload(['objects']);
      const started = performance.now();
      const all = await Promise.all(Array.from({ length: 20 }, () => pool.analyze(blank, ['objects'])));
      const elapsed = performance.now() - started;
      assert.equal(all.length, 20);
      assert.ok(
        elapsed > 2_000,
        `the queue took ${Math.round(elapsed)} ms: longer than the limit, so it proves the point`,
      );
      assert.equal(pool.starts, 1, 'no call timed out (a timeout replaces the thread)');

      const pending = Array.from({ length: 3 }, () =>
        pool.analyze(blank, ['objects']).then(
          () => 'answered',
          (err: unknown) => (err instanceof ModelHostError ? err.code : String(err)),
        ),
      );
      await pool.close();
      assert.deepEqual(await Promise.all(pending), ['MODEL_CRASHED', 'MODEL_CRASHED', 'MODEL_CRASHED']);
      await assert.rejects(pool.analyze(blank, ['objects']), (err: ModelHostError) => err.code === 'MODEL_CRASHED');
    } finally {
      await pool.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
