import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  buildShots,
  detectShots,
  parseCues,
  parseCuts,
  parseSamples,
  planFrames,
  sampleQuality,
  shotPassArgs,
  DEFAULT_SHOT_OPTIONS,
  type Sample,
} from './shots.ts';
import { execFileSync } from 'node:child_process';
import { hasFfmpeg } from '../../test/helpers/fixtures.ts';
import { PHOTO_CUTS, hasPhotos, makePhotoShotsVideo } from '../../test/helpers/photos.ts';

test('one pass: scdet, blackdetect, freezedetect and the sampled quality filters; no network', () => {
  const a = shotPassArgs('/in.mp4', '/tmp/c.txt', '/tmp/s.txt', DEFAULT_SHOT_OPTIONS);
  const vf = a[a.indexOf('-vf') + 1]!;
  assert.match(
    vf,
    /^select='isnan\(prev_selected_t\)\+gte\(t-prev_selected_t\\,0\.06\)',scale=320:-2:flags=area,scdet=threshold=10,metadata=mode=print:file='\/tmp\/c.txt',blackdetect=d=0.5/,
  );
  assert.match(
    vf,
    /freezedetect=n=-60dB:d=2,select=.*,signalstats,blurdetect,metadata=mode=print:file='\/tmp\/s.txt'$/,
  );
  assert.equal(a[a.indexOf('-protocol_whitelist') + 1], 'file,pipe');
  assert.ok(a.indexOf('-skip_frame') < a.indexOf('-i'), 'a decoder option');
  assert.equal(a[a.indexOf('-skip_frame') + 1], 'noref');
  assert.deepEqual(a.slice(-3), ['-f', 'null', '-'].slice(-3), 'decodes to nothing');
  assert.equal(a.at(-1), '-');
});

test('parsers read cuts, samples and cues', () => {
  const cuts = parseCuts(
    'frame:0    pts:0       pts_time:0\nlavfi.scd.mafd=0\nlavfi.scd.score=0\n' +
      'frame:30   pts:3000    pts_time:3\nlavfi.scd.mafd=40\nlavfi.scd.score=24.95\nlavfi.scd.time=3\n' +
      'frame:31   pts:3100    pts_time:3.1\nlavfi.scd.score=0.1\n',
  );
  assert.deepEqual(cuts, [{ seconds: 3, score: 24.95 }]);
  const samples = parseSamples(
    'frame:0 pts:0 pts_time:0\nlavfi.signalstats.YAVG=71.5\nlavfi.blur=5.3\nframe:5 pts:500 pts_time:0.5\nlavfi.signalstats.YAVG=16\n',
  );
  assert.deepEqual(samples, [
    { seconds: 0, luma: 71.5, blur: 5.3 },
    { seconds: 0.5, luma: 16, blur: null },
  ]);
  const log =
    '[blackdetect @ 0x1] black_start:9 black_end:10 black_duration:1\n' +
    '[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 0.5\n[freezedetect @ 0x2] lavfi.freezedetect.freeze_duration: 2.5\n' +
    '[freezedetect @ 0x2] lavfi.freezedetect.freeze_end: 3\n[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 11\n';
  assert.deepEqual(parseCues(log, 13), {
    black: [{ start: 9, end: 10 }],
    frozen: [
      { start: 0.5, end: 3 },
      { start: 11, end: 13 },
    ],
  });
});

test('a shot is represented by its sharpest frame that is not dark', () => {
  const samples: Sample[] = [
    { seconds: 0, luma: 20, blur: 1 }, // dark
    { seconds: 0.5, luma: 120, blur: 9 }, // blurred
    { seconds: 1, luma: 110, blur: 2 }, // the one
    { seconds: 3.5, luma: 100, blur: 3 },
  ];
  assert.ok(sampleQuality(samples[2]!) > sampleQuality(samples[0]!));
  const shots = buildShots([{ seconds: 3, score: 40 }], samples, 5);
  assert.deepEqual(
    shots.map((s) => [s.start, s.end, s.keyframe_seconds]),
    [
      [0, 3, 1],
      [3, 5, 3.5],
    ],
  );
  // A cut right after another (a flash) is merged into it.
  assert.equal(
    buildShots(
      [
        { seconds: 3, score: 40 },
        { seconds: 3.1, score: 30 },
      ],
      samples,
      5,
    ).length,
    2,
  );
});

test('frames are planned per shot, capped by the frame count, most distinct shots first', () => {
  const shots = buildShots(
    [
      { seconds: 2, score: 15 },
      { seconds: 4, score: 60 },
      { seconds: 6, score: 30 },
    ],
    [],
    10,
  );
  assert.deepEqual(
    planFrames(shots, [], 2).map((f) => f.shot),
    [0, 2],
    'first shot and the most distinct cut',
  );
  const all = planFrames(shots, [], 6);
  assert.equal(all.length, 6);
  assert.deepEqual(
    all.map((f) => f.shot),
    [0, 1, 2, 3, 3, 3],
    'spare frames go to the longest shot',
  );
  // No cuts: uniform spacing.
  assert.deepEqual(
    planFrames(buildShots([], [], 4), [], 4).map((f) => f.seconds),
    [0.5, 1.5, 2.5, 3.5],
  );
});

test(
  'shot boundaries on a video of real photographs land within 0.5 s of the known cuts',
  {
    skip: (!hasFfmpeg() || !hasPhotos()) && 'ffmpeg or python3-skimage is not installed',
  },
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-shots-'));
    try {
      const file = path.join(dir, 'photos.mp4');
      makePhotoShotsVideo(file);
      const r = await detectShots('ffmpeg', file, 13, { timeoutMs: 60_000 });
      assert.equal(r.shots.length, PHOTO_CUTS.length + 1, JSON.stringify(r.cuts));
      r.shots.slice(1).forEach((s, i) => assert.ok(Math.abs(s.start - PHOTO_CUTS[i]!) <= 0.5, `cut ${s.start}`));
      assert.deepEqual(r.black, [{ start: 9, end: 10 }]);
      assert.ok(r.frozen.length >= 3, 'still photos are frozen stretches');
      for (const s of r.shots) assert.ok(s.keyframe_seconds >= s.start && s.keyframe_seconds < s.end);

      // With B-frames (half of them skipped by the pass) and cuts between keyframes: the cuts
      // are still found, at most a few frames (25 fps) late.
      const bFile = path.join(dir, 'photos-b.mp4');
      makePhotoShotsVideo(bFile, true);
      const types = execFileSync(
        'ffprobe',
        ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pict_type', '-of', 'csv=p=0', bFile],
        { encoding: 'utf8' },
      );
      assert.ok((types.match(/B/g) ?? []).length > 100, 'the video has B-frames');
      const b = await detectShots('ffmpeg', bFile, 13, { timeoutMs: 60_000 });
      assert.equal(b.shots.length, PHOTO_CUTS.length + 1, JSON.stringify(b.cuts));
      b.shots.slice(1).forEach((s, i) => {
        const late = s.start - PHOTO_CUTS[i]!;
        assert.ok(late >= 0 && late <= 0.2, `cut ${PHOTO_CUTS[i]} found at ${s.start}`);
      });
      assert.deepEqual(
        b.black.map((x) => [Math.round(x.start * 10) / 10, Math.round(x.end * 10) / 10]),
        [[9, 10]],
      );

      // In parts run side by side (as a long video is): the same cuts and black stretch as
      // one pass. The cut at 6 s lies in what the next part reads again before its own time
      // (2 parts: from 3.5 s for the part from 6.5 s; 3 parts: from 5.67 s for 8.67 s) and
      // must come back once; the black stretch at 9-10 s lies inside the last part.
      for (const parts of [2, 3]) {
        const p = await detectShots('ffmpeg', bFile, 13, { timeoutMs: 60_000, parts });
        assert.deepEqual(p.cuts, b.cuts, `${parts} parts`);
        assert.deepEqual(p.black, b.black, `${parts} parts`);
        assert.equal(p.shots.length, b.shots.length);
        assert.ok(p.samples.length >= b.samples.length - parts, 'every part samples its own time');
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
);
