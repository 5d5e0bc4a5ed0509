/**
 * Writes the real status document the README's excerpt is cut from
 * (docs/examples/photos-with-speech.status.json): the photo video with speech of
 * scripts/readme-media.ts (five shots, two LibriVox sentences), analysed by the real
 * pipeline with the vision models and no provider; `node scripts/docs.ts` then cuts the excerpt.
 * `node scripts/readme-excerpt.ts` (needs DATABASE_URL or the embedded PostgreSQL of
 * `npm test`'s helpers).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, auth, waitFor } from '../test/helpers/app.ts';
import { makeSpeechVideo } from './readme-media.ts';
import { multipart } from '../test/helpers/multipart.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { EXAMPLE } from './docs-excerpt.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-excerpt-'));
const video = makeSpeechVideo(dir);

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
  await fs.mkdir(path.dirname(EXAMPLE), { recursive: true });
  await fs.writeFile(EXAMPLE, `${JSON.stringify(s, null, 2)}\n`);
  process.stdout.write(`${path.relative(process.cwd(), EXAMPLE)}: ${s.status}, ${s.result_summary.split('\n')[0]}\n`);
} finally {
  await t.close();
  await host.close();
  await fs.rm(dir, { recursive: true, force: true });
}
