/**
 * Prints a real status document for the README: the photo video of test/helpers/photos.ts
 * (five shots) with two real LibriVox sentences of pocketsphinx-testdata as its sound, analysed
 * by the real pipeline with the vision models and no provider. `node scripts/readme-excerpt.ts`
 * (needs DATABASE_URL or the embedded PostgreSQL of `npm test`'s helpers).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createTestApp, auth, waitFor } from '../test/helpers/app.ts';
import { makePhotoShotsVideo } from '../test/helpers/photos.ts';
import { multipart } from '../test/helpers/multipart.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-excerpt-'));
const picture = path.join(dir, 'photos.mp4');
makePhotoShotsVideo(picture);
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb';
const video = path.join(dir, 'photos-with-speech.mp4');
// "and mister john dashwood had then leisure to consider …" + "he was not an ill disposed young man",
// padded with silence to the picture's length.
execFileSync('ffmpeg', [
  '-loglevel',
  'error',
  '-y',
  '-i',
  picture,
  '-i',
  `${LIBRIVOX}-0870.wav`,
  '-i',
  `${LIBRIVOX}-0880.wav`,
  '-filter_complex',
  '[1:a][2:a]concat=n=2:v=0:a=1,apad[a]',
  '-map',
  '0:v',
  '-map',
  '[a]',
  '-c:v',
  'copy',
  '-c:a',
  'aac',
  '-shortest',
  video,
]);

const host = new ModelHost({ callTimeoutMs: 120_000, maxHeapMb: 1024 });
const t = await createTestApp({}, { vision: host });
try {
  await t.startWorker({ concurrency: 1 });
  const mp = multipart(
    { prompt: 'Who speaks, and what is shown?', options: JSON.stringify({ frame_count: 6 }) },
    { name: 'photos-with-speech.mp4', data: await fs.readFile(video) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  const id = res.json().analysis_id as string;
  const s = await waitFor(
    async () => {
      const r = (await t.app.inject({ url: `/api/media/${id}`, headers: auth(t.tenantA.key) })).json();
      return ['completed', 'failed'].includes(r.status) ? r : null;
    },
    600_000,
    500,
  );
  process.stdout.write(`${JSON.stringify(s, null, 1)}\n`);
} finally {
  await t.close();
  await host.close();
  await fs.rm(dir, { recursive: true, force: true });
}
