/**
 * What an analysis sees without a provider, end to end through the API with the REAL
 * models in a model-host thread: shots, cues, objects, faces, moderation and the
 * description, on a video cut from real photographs and on a real photograph. Then the
 * failure path: models that cannot load fail their sections and the (optional) vision
 * stage, and the analysis completes as partial with everything else.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, analyseFile, auth, type TestApp } from './helpers/app.ts';
import { hasFfmpeg } from './helpers/fixtures.ts';
import { contractProblems } from './helpers/contract.ts';
import { PHOTO_CUTS, hasPhotos, makePhotoShotsVideo, photo } from './helpers/photos.ts';
import { ModelHost } from '../src/media/vision/model-host.ts';
import { ModelHostPool } from '../src/media/vision/model-host-pool.ts';
import { sharedEmbedder } from '../src/nlp/embedder.ts';
import { EXAMPLE } from '../scripts/docs-excerpt.ts';
import type {
  FacesSection,
  ModerationSection,
  ObjectsSection,
  ShotSection,
} from '../src/domain/analysis/vision.sections.ts';

const skip = (!hasFfmpeg() || !hasPhotos()) && 'ffmpeg or python3-skimage is not installed';
let t: TestApp;
let host: ModelHostPool;
/** As a worker runs them: two model hosts on a machine with two cores or more. */
const HOSTS = Math.min(2, os.availableParallelism());
let dir: string;
let video: string;

before(async () => {
  if (skip) return;
  host = new ModelHostPool(HOSTS, { callTimeoutMs: 120_000, maxHeapMb: 1024 });
  t = await createTestApp({ CONTACT_SHEET_WIDTH: '960', CONTACT_SHEET_HEIGHT: '540' }, { vision: host });
  await t.startWorker({ concurrency: 1 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-vision-api-'));
  video = path.join(dir, 'photos.mp4');
  makePhotoShotsVideo(video);
});
after(async () => {
  if (skip) return;
  await t.close();
  await host.close();
  // The extracted (no-model) answer embeds the prompt in the process's shared embedder thread.
  await sharedEmbedder().close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function analyse(app: TestApp, file: string, options: Record<string, unknown> = {}) {
  const s = await analyseFile(app, app.tenantA.key, file, 'What is in it?', options);
  // The vision sections (failed ones too) are exactly what the results contract declares.
  if (s.results) assert.deepEqual(contractProblems(s.results), [], `${file}: results depart from the contract`);
  return s;
}

/** What an analysis saw: where its shots start, the objects and faces of each, the verdict. */
function visualFindings(s: { results: Record<string, unknown> }) {
  const shots = s.results.shots as ShotSection;
  const objects = s.results.objects as ObjectsSection;
  const faces = s.results.faces as FacesSection;
  return {
    // Starts only: the sound track makes the video with speech a few hundredths of a second longer.
    shots: shots.items.map((x) => x.start),
    objects: objects.per_shot.map((p) => p.labels.map((l) => `${l.count} ${l.label}`).sort()),
    faces: faces.per_shot.map((p) => p.count),
    verdict: (s.results.moderation as ModerationSection).verdict,
  };
}

interface SearchSegment {
  kind: string;
  text: string;
  start_seconds: number | null;
  end_seconds: number | null;
  keyframe_url: string | null;
}

/** The search hit for one analysis, or undefined when the query does not find it. */
async function searchHit(q: string, analysisId: string) {
  const res = await t.app.inject({
    url: `/api/media/search?q=${encodeURIComponent(q)}`,
    headers: auth(t.tenantA.key),
  });
  assert.equal(res.statusCode, 200, res.body);
  return res
    .json()
    .data.find((h: { analysis_id: string; segments: SearchSegment[] }) => h.analysis_id === analysisId) as
    { segments: SearchSegment[] } | undefined;
}

describe('without a provider', { skip }, () => {
  test('a video of photographs: shots at the cuts, what each shot shows, faces, moderation, a description', async () => {
    const s = await analyse(t, video, { frame_count: 6 });
    if (process.env.VISION_RESULT_DUMP) await fs.writeFile(process.env.VISION_RESULT_DUMP, JSON.stringify(s, null, 2));
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.partial, false);
    assert.deepEqual(
      s.results.stages
        .map((x: { stage: string }) => x.stage)
        .filter((n: string) => ['shots', 'frames', 'vision'].includes(n)),
      ['shots', 'frames', 'vision'],
    );
    assert.match(s.results.frames.method, /per shot/);
    const shots = s.results.shots as ShotSection;
    assert.equal(shots.count, PHOTO_CUTS.length + 1);
    shots.items.slice(1).forEach((x, i) => assert.ok(Math.abs(x.start - PHOTO_CUTS[i]!) <= 0.5));
    assert.deepEqual(s.results.cues.black, [{ start: 9, end: 10 }]);
    assert.equal(s.results.frames.count, 6);
    const objects = s.results.objects as ObjectsSection;
    assert.equal(objects.status, 'completed');
    const seen = (shot: number) => objects.per_shot[shot]!.labels.map((l) => l.label);
    assert.ok(seen(0).includes('person'), JSON.stringify(objects.per_shot));
    assert.ok(seen(1).includes('cup'), JSON.stringify(objects.per_shot));
    assert.ok(seen(4).includes('motorcycle'), JSON.stringify(objects.per_shot));
    assert.deepEqual(seen(3), [], 'the black shot shows nothing');
    // The frames went to the model hosts side by side, and came back in time order.
    assert.equal(host.starts, HOSTS);
    const times = objects.frames.map((f) => f.seconds);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.deepEqual(
      times,
      s.results.frames.items.map((f: { seconds: number }) => f.seconds),
    );
    const faces = s.results.faces as FacesSection;
    assert.equal(faces.per_shot[0]!.count, 1, 'the astronaut');
    const moderation = s.results.moderation as ModerationSection;
    assert.equal(moderation.verdict, 'safe');
    assert.equal(moderation.frames.length, 6);
    // Safe: no frame is named after a class it did not reach; the basis says how far each stayed below.
    assert.equal(moderation.strongest, null);
    assert.match(moderation.basis ?? '', /< 0\.7.*< 0\.8/);
    assert.match(s.result_summary, /^13 s video, 5 shots; .*a person/);
    assert.match(s.result_summary, /a cup/);
    assert.equal(s.results.contact_sheet.frames.length, 6);

    // Shots and objects are searchable segments: each label leads to this video at the time it was seen.
    assert.equal(s.results.understanding.segments.by_kind.shot, shots.count);
    assert.ok(
      objects.labels.some((l) => l.label === 'dog'),
      'Chelsea the cat, seen as a dog (see README)',
    );
    for (const l of objects.labels) {
      const hit = await searchHit(l.label, s.analysis_id);
      assert.ok(hit, `searching "${l.label}" finds the video`);
      const segment = hit.segments.find((x: SearchSegment) => x.kind === 'object');
      assert.ok(segment, `an object segment for "${l.label}": ${JSON.stringify(hit.segments)}`);
      assert.match(segment.text, new RegExp(l.label === 'person' ? 'person|people' : l.label));
      assert.ok(
        l.seconds.includes(segment.start_seconds as number),
        `${l.label} at ${segment.start_seconds}: ${l.seconds}`,
      );
      assert.ok(segment.keyframe_url, 'with the frame that shows it');
    }
    // The README's excerpt is cut from a stored analysis of the same pictures (with speech):
    // what it shows must still be what the pipeline finds.
    const example = JSON.parse(await fs.readFile(EXAMPLE, 'utf8'));
    assert.deepEqual(
      visualFindings(s),
      visualFindings(example),
      'docs/examples is stale: run node scripts/readme-excerpt.ts, then node scripts/docs.ts',
    );
    const black = await searchHit('black screen', s.analysis_id);
    const blackShot = black?.segments.find((x: SearchSegment) => x.kind === 'shot');
    assert.deepEqual([blackShot?.start_seconds, blackShot?.end_seconds], [9, 10], JSON.stringify(black));
  });

  test('a photograph; a capability switched off per request is not run', async () => {
    const s = await analyse(t, photo('astronaut.png'), { moderation: false, ocr: false });
    assert.equal(s.status, 'completed', s.error_message);
    assert.ok((s.results.objects as ObjectsSection).labels.some((l) => l.label === 'person'));
    assert.equal((s.results.faces as FacesSection).max_count, 1);
    assert.equal(s.results.moderation, undefined);
    assert.equal(s.results.shots, undefined);
    assert.match(s.result_summary, /^image; a person/);
  });
});

const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
const skipOpencv = skip || (!existsSync(`${OPENCV_DATA}/messi5.jpg`) && 'opencv-doc is not installed');

describe('findings below their calibrated thresholds (issue #22)', { skip: skipOpencv }, () => {
  test('a motorcycle scaled into a 1280x720 video: no face anywhere; the candidates stay marked in the frames', async () => {
    const file = path.join(dir, 'motorcycle-720p.mp4');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-t', '4', '-i', photo('motorcycle_left.png')],
      ...['-vf', 'scale=1280:720,setsar=1,fps=25,format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', file],
    ]);
    const s = await analyse(t, file, { frame_count: 2, ocr: false });
    assert.equal(s.status, 'completed', s.error_message);
    const faces = s.results.faces as FacesSection;
    assert.equal(faces.max_count, 0, JSON.stringify(faces.frames));
    assert.ok(faces.frames.every((f) => f.count === 0 && f.boxes.length === 0 && f.items?.length === 0));
    assert.ok(
      faces.frames.some((f) => (f.below_threshold ?? []).length > 0),
      'BlazeFace still proposes candidates; they are kept, marked, with both scores',
    );
    assert.doesNotMatch(s.result_summary, /face/);
    const objects = s.results.objects as ObjectsSection;
    assert.ok(
      objects.labels.some((l) => l.label === 'motorcycle'),
      JSON.stringify(objects.frames),
    );
    for (const f of objects.frames) for (const o of f.items) assert.ok(o.score >= objects.min_score);
    for (const l of objects.labels) assert.ok(l.best_score >= objects.min_score);
  });

  test('a photograph of a football match is not "suggestive"; the basis says why', async () => {
    const s = await analyse(t, `${OPENCV_DATA}/messi5.jpg`, { ocr: false });
    assert.equal(s.status, 'completed', s.error_message);
    const moderation = s.results.moderation as ModerationSection;
    assert.equal(moderation.verdict, 'safe', moderation.basis);
    assert.match(moderation.basis ?? '', /bare skin only/);
    assert.doesNotMatch(s.result_summary, /moderation/);
    assert.equal((s.results.faces as FacesSection).max_count, 1, 'the player');
  });
});

describe('models that cannot load', { skip }, () => {
  test('their sections fail with MODEL_LOAD_FAILED; the analysis still completes with the rest', async () => {
    const empty = await fs.mkdtemp(path.join(dir, 'no-models-'));
    const broken = new ModelHost({ callTimeoutMs: 60_000, maxHeapMb: 512, humanModelsDir: empty });
    const app = await createTestApp({}, { vision: broken });
    try {
      await app.startWorker({ concurrency: 1 });
      const s = await analyse(app, photo('coffee.png'), { moderation: false, ocr: false });
      assert.equal(s.status, 'completed', s.error_message);
      assert.equal(s.partial, true);
      assert.deepEqual(s.failed_stages, ['vision']);
      assert.equal(s.results.failed_stages[0].error_code, 'MODEL_LOAD_FAILED');
      assert.equal(s.results.objects.status, 'failed');
      assert.equal(s.results.objects.error.code, 'MODEL_LOAD_FAILED');
      assert.equal(s.results.faces.error.code, 'MODEL_LOAD_FAILED');
      assert.ok(s.results.image.width === 600, 'the image stage ran');
    } finally {
      await app.close();
      await broken.close();
    }
  });
});
