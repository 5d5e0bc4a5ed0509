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
  frameRises,
  parseSamples,
  parseThumbs,
  sampleQuality,
  shotPassArgs,
  partThreads,
  shotSignatures,
  withThumbs,
  DEFAULT_SHOT_OPTIONS,
  THUMB_HEIGHT,
  THUMB_WIDTH,
  type Sample,
  type Shot,
} from './shots.ts';
import { groupScenes, signatureDistance } from './scenes.ts';
import { planFaceMoments, planFrames } from './frame-plan.ts';
import { execFileSync } from 'node:child_process';
import { VISION_CALIBRATION } from '../domain/analysis/calibration.ts';
import { hasFfmpeg } from '../../test/helpers/fixtures.ts';
import {
  PHOTO_CUTS,
  cutTimes,
  hasPhotos,
  makePhotoShotsVideo,
  makePhotoVideo,
  photo,
  type PhotoShot,
} from '../../test/helpers/photos.ts';

const FILES = { cuts: '/tmp/c.txt', samples: '/tmp/s.txt', thumbs: '/tmp/t.rgb' };

test('one pass: scdet, blackdetect, freezedetect, the sampled quality filters and thumbnails; no network', () => {
  const a = shotPassArgs('/in.mp4', FILES, DEFAULT_SHOT_OPTIONS);
  const vf = a[a.indexOf('-vf') + 1]!;
  assert.match(
    vf,
    /^select='isnan\(prev_selected_t\)\+gte\(t-prev_selected_t\\,0\.06\)',scale=320:-2:flags=area,scdet=threshold=8,metadata=mode=print:file='\/tmp\/c.txt',blackdetect=d=0.5/,
  );
  assert.match(
    vf,
    /freezedetect=n=-60dB:d=2,select=.*,signalstats,blurdetect,metadata=mode=print:file='\/tmp\/s.txt',scale=4:3:flags=area,format=rgb24$/,
  );
  assert.equal(a[a.indexOf('-protocol_whitelist') + 1], 'file,pipe');
  assert.ok(a.indexOf('-skip_frame') < a.indexOf('-i'), 'a decoder option');
  assert.equal(a[a.indexOf('-skip_frame') + 1], 'noref');
  assert.deepEqual(a.slice(-6), ['-fps_mode', 'passthrough', '-f', 'rawvideo', '-y', '/tmp/t.rgb'], 'thumbnails only');
  assert.ok(!a.includes('-threads'), "a single pass leaves the decoder's threads to ffmpeg");
  const part = shotPassArgs('/in.mp4', FILES, DEFAULT_SHOT_OPTIONS, { from: 60, to: 120, readFrom: 57 }, 1);
  assert.ok(part.indexOf('-threads') < part.indexOf('-i'), 'a decoder option');
  assert.equal(part[part.indexOf('-threads') + 1], '1');
});

test('the parts of a pass share the cores out: one decoding thread each when there are as many parts as cores', () => {
  assert.equal(partThreads(1, 2), null, "one pass: ffmpeg's choice");
  assert.equal(partThreads(2, 2), 1);
  assert.equal(partThreads(4, 4), 1);
  assert.equal(partThreads(2, 8), 4);
  assert.equal(partThreads(3, 8), 2);
});

test('a cut is a score that rises above the second before it, not a high score in fast motion', () => {
  const frame = (t: number, score: number) =>
    `frame:${Math.round(t * 25)} pts:0 pts_time:${t}\nlavfi.scd.score=${score}\n`;
  const text =
    frame(1, 0.4) +
    frame(1.5, 6.3) + // a still picture cut to a reframing of itself: a lone rise
    frame(1.6, 0.4) +
    frame(5, 4) +
    frame(5.3, 7.7) +
    frame(5.4, 8.8) + // a subject moving fast: high, but so was the second before
    frame(5.5, 6.9) +
    frame(9, 0.3) +
    frame(9.2, 30); // a hard cut out of the motion's wake
  assert.deepEqual(
    frameRises(text, 5.8).map((f) => f.rise),
    [0.4, 5.9, 0, 4, 3.7, 1.1, -1.9, 0.3, 29.7],
    'the cut at 1.5 s is no context for the frames after it',
  );
  assert.deepEqual(
    parseCuts(text, 5.8).map((c) => c.seconds),
    [1.5, 9.2],
  );
});

test('the default cut rise is the calibrated one', () => {
  assert.equal(DEFAULT_SHOT_OPTIONS.sceneThreshold, VISION_CALIBRATION.cutRise.value);
});

test('parsers read cuts, samples and cues', () => {
  const cuts = parseCuts(
    'frame:0    pts:0       pts_time:0\nlavfi.scd.mafd=0\nlavfi.scd.score=0\n' +
      'frame:30   pts:3000    pts_time:3\nlavfi.scd.mafd=40\nlavfi.scd.score=24.95\nlavfi.scd.time=3\n' +
      'frame:31   pts:3100    pts_time:3.1\nlavfi.scd.score=0.1\n',
    5,
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

test('shots without signatures: each its own scene, the longest first, spare frames to the longest shot', () => {
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
    [0, 3],
    'the longest shot, then the first of the equally long',
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

/** A signature of one grey level (every byte `v`). */
const flat = (v: number) => new Uint8Array(THUMB_WIDTH * THUMB_HEIGHT * 3).fill(v);

test('thumbnails pair with the samples in order, or not at all', () => {
  const raw = new Uint8Array(THUMB_WIDTH * THUMB_HEIGHT * 3 * 2 + 5);
  raw.fill(7, 0, 36).fill(9, 36, 72);
  const thumbs = parseThumbs(raw);
  assert.equal(thumbs.length, 2, 'a partial tail is dropped');
  const samples: Sample[] = [
    { seconds: 0, luma: 100, blur: 1 },
    { seconds: 0.5, luma: 100, blur: 1 },
  ];
  assert.deepEqual(
    withThumbs(samples, thumbs).map((s) => s.thumb?.[0]),
    [7, 9],
  );
  assert.equal(withThumbs(samples, thumbs.slice(1))[0]!.thumb, undefined, 'counts differ: none paired');
});

test('signature distance: 0 for the same, 1 for black against white or unlike lengths', () => {
  const cases: Array<[Uint8Array, Uint8Array, number]> = [
    [flat(10), flat(10), 0],
    [flat(0), flat(255), 1],
    [flat(0), flat(51), 0.2],
    [flat(0), new Uint8Array(3), 1],
  ];
  for (const [a, b, want] of cases) assert.equal(signatureDistance(a, b), want);
});

test('shots that look alike are one scene, numbered by first appearance', () => {
  const A = flat(20);
  const B = flat(200);
  const C = flat(110);
  const nearA = flat(25); // 0.0196 from A
  const cases: Array<{ name: string; sigs: Array<Uint8Array | null>; max: number; want: number[] }> = [
    { name: 'two scenes cut back and forth', sigs: [A, B, A, B, nearA], max: 0.05, want: [0, 1, 0, 1, 0] },
    { name: 'the user video: six scenes, cycled', sigs: [A, B, C, A, B, C], max: 0.05, want: [0, 1, 2, 0, 1, 2] },
    { name: 'a threshold of 0 joins only identical shots', sigs: [A, nearA, A], max: 0, want: [0, 1, 0] },
    { name: 'no signature: a scene of its own', sigs: [A, null, A, null], max: 0.05, want: [0, 1, 0, 2] },
    { name: 'the nearest scene wins', sigs: [A, flat(80), flat(55)], max: 0.2, want: [0, 1, 1] },
    { name: 'no shots', sigs: [], max: 0.05, want: [] },
  ];
  for (const c of cases) assert.deepEqual(groupScenes(c.sigs, c.max), c.want, c.name);
  // Compared with a scene's first shot, not its latest: a slow drift does not chain.
  assert.deepEqual(groupScenes([flat(0), flat(10), flat(20), flat(30)], 0.05), [0, 0, 1, 1]);
});

test("a shot's signature is the thumbnail of its representative moment", () => {
  const samples: Sample[] = [
    { seconds: 0, luma: 20, blur: 1, thumb: flat(1) }, // dark: not the representative
    { seconds: 1, luma: 120, blur: 1, thumb: flat(2) },
    { seconds: 3, luma: 120, blur: 1 },
  ];
  const shots = buildShots([{ seconds: 2, score: 30 }], samples, 4);
  const sigs = shotSignatures(shots, samples);
  assert.equal(sigs[0]![0], 2);
  assert.equal(sigs[1], null, 'no thumbnail in the shot');
});

/** Shots of `seconds` each, showing the scenes in `scenes` order, with cut scores `scores` (first: 100). */
function shotsOf(scenes: number[], seconds: number | number[] = 10, scores: number[] = []): Shot[] {
  let t = 0;
  return scenes.map((scene, i) => {
    const len = Array.isArray(seconds) ? seconds[i]! : seconds;
    const s = {
      index: i,
      start: t,
      end: t + len,
      cut_score: i === 0 ? 100 : (scores[i] ?? 20),
      keyframe_seconds: t + len / 2,
      scene,
    };
    t += len;
    return s;
  });
}

test('every distinct scene gets a frame before any scene gets a second one', () => {
  const sceneOf = (shots: Shot[], plan: Array<{ shot: number }>) => plan.map((p) => shots[p.shot]!.scene);
  // The user's video: six scenes cycled; the repeats' cuts score highest (as measured).
  const cycled = shotsOf([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], 10, [0, 25, 19, 20, 17, 37, 35, 25, 19, 20, 17, 37]);
  const cases: Array<{ name: string; shots: Shot[]; count: number; max?: number; want: number[] }> = [
    { name: 'six scenes cycled, six frames: one each', shots: cycled, count: 6, want: [0, 1, 2, 3, 4, 5] },
    {
      name: 'eight scenes, six frames, room for twenty: the budget grows to eight',
      shots: shotsOf([0, 1, 2, 3, 4, 5, 6, 7]),
      count: 6,
      max: 20,
      want: [0, 1, 2, 3, 4, 5, 6, 7],
    },
    {
      name: 'more scenes than the cap: the scenes with the most screen time',
      shots: shotsOf([0, 1, 2, 3, 4], [2, 9, 3, 8, 7]),
      count: 2,
      max: 3,
      want: [1, 3, 4],
    },
    {
      name: 'spare frames: the other scene next, then the repeat farthest from planned frames',
      shots: shotsOf([0, 1, 0, 1, 0, 1]),
      count: 4,
      want: [0, 1, 1, 0],
    },
  ];
  for (const c of cases) {
    const plan = planFrames(c.shots, [], c.count, c.max);
    assert.deepEqual(sceneOf(c.shots, plan), c.want, c.name);
    assert.deepEqual(
      plan.map((p) => p.seconds),
      [...plan.map((p) => p.seconds)].sort((a, b) => a - b),
      `${c.name}: in time order`,
    );
  }
  // Spare frames go to the repeats farthest in time from the frames already planned.
  assert.deepEqual(
    planFrames(shotsOf([0, 1, 0, 1, 0, 1]), [], 4).map((p) => p.shot),
    [0, 1, 3, 4],
  );
});

test(
  'every photograph of a short real video with repeated scenes gets a frame',
  {
    skip: (!hasFfmpeg() || !hasPhotos()) && 'ffmpeg or python3-skimage is not installed',
  },
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-scenes-'));
    try {
      const names = ['astronaut.png', 'coffee.png', 'chelsea.png', 'motorcycle_left.png', 'horse.png', 'rocket.jpg'];
      // Two rounds, the second reframed: 12 shots, the six scenes each twice, 2 s each.
      const shots: PhotoShot[] = [0, 1].flatMap((round) =>
        names.map((n) => ({ photo: photo(n), seconds: 2, framing: round as 0 | 1 })),
      );
      const file = path.join(dir, 'scenes.mp4');
      makePhotoVideo(file, shots);
      const r = await detectShots(
        'ffmpeg',
        file,
        24,
        { timeoutMs: 60_000 },
        {
          ...DEFAULT_SHOT_OPTIONS,
          sceneDistance: VISION_CALIBRATION.sceneDistance.value,
        },
      );
      assert.deepEqual(
        r.shots.slice(1).map((s) => Math.round(s.start)),
        cutTimes(shots),
        'every cut found',
      );
      const photoAt = (s: number) => names[Math.floor(s / 2) % names.length];
      // Two shots of different photographs are never one scene.
      for (const a of r.shots)
        for (const b of r.shots)
          if (a.scene === b.scene) assert.equal(photoAt(a.start), photoAt(b.start), `shots ${a.index}, ${b.index}`);
      const plan = planFrames(r.shots, r.samples, 6, 20);
      assert.deepEqual(new Set(plan.map((p) => photoAt(p.seconds))), new Set(names), JSON.stringify(plan));
      assert.ok(plan.length <= 12);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
);

test('moments for faces: no stretch of a shot longer than the cadence goes unlooked at, within the budget', () => {
  // One 60-s shot with its planned frames at 10 and 30 s; a 5-s cadence: 12 slices, 2 already looked at.
  const long = shotsOf([0], 60);
  const planned = [
    { seconds: 10, shot: 0 },
    { seconds: 30, shot: 0 },
  ];
  const extra = planFaceMoments(long, [], planned, 5, 100);
  assert.equal(extra.length, 10);
  const all = [...planned, ...extra].map((f) => f.seconds).sort((a, b) => a - b);
  for (let i = 1; i < all.length; i++) assert.ok(all[i]! - all[i - 1]! <= 10, `gap ${all[i - 1]}–${all[i]}`);
  assert.ok(all[0]! <= 5 && all.at(-1)! >= 55);
  // A sharper sample near the slice's middle is the one taken.
  const samples = [
    { seconds: 42, luma: 120, blur: 9 },
    { seconds: 43, luma: 120, blur: 2 },
  ];
  assert.ok(planFaceMoments(long, samples, planned, 5, 100).some((f) => f.seconds === 43));
  // Short shots already looked at need nothing more; the budget widens the slices.
  assert.deepEqual(planFaceMoments(shotsOf([0, 1], 3), [], [{ seconds: 1.5 }, { seconds: 4.5 }], 5, 10), []);
  const capped = planFaceMoments(long, [], [], 5, 4);
  assert.ok(capped.length <= 4 && capped.length >= 3, JSON.stringify(capped));
  assert.deepEqual(planFaceMoments(long, [], planned, 0, 10), [], 'a cadence of 0: off');
  // 600 shots of 4 s (40 minutes), none with a frame, 60 moments: spread over the whole video.
  const many = planFaceMoments(
    shotsOf(
      Array.from({ length: 600 }, (_, i) => i),
      4,
    ),
    [],
    [],
    5,
    60,
  );
  assert.equal(many.length, 60);
  assert.ok(many[0]!.seconds < 60 && many.at(-1)!.seconds > 2340, `${many[0]!.seconds}…${many.at(-1)!.seconds}`);
  for (let i = 1; i < many.length; i++) assert.ok(many[i]!.seconds > many[i - 1]!.seconds);
  // A frozen stretch needs one look: [0.5, 39] already has the frames at 10 and 30; the
  // stretch [40.5, 44.5] (someone came on screen and stayed still) gets one moment.
  const frozen = [
    { start: 0.5, end: 39 },
    { start: 40.5, end: 44.5 },
    { start: 46, end: 60 },
  ];
  const still = planFaceMoments(long, [], [...planned, { seconds: 50 }], 5, 100, frozen);
  const times = still.map((f) => f.seconds);
  assert.ok(!times.some((t) => t > 0.5 && t < 39 && t > 3), `no moment inside the looked-at stretch: ${times}`);
  assert.equal(times.filter((t) => t >= 40.5 && t <= 44.5).length, 1, `one look at the new stretch: ${times}`);
  assert.ok(times.length < extra.length, 'fewer moments than without freezes');
  // An encoded still freezes in 2-s pieces (a keyframe "changes" it): one stretch within a shot…
  const pieces = Array.from({ length: 30 }, (_, i) => ({ start: i * 2, end: i * 2 + 2 }));
  const oneLook = planFaceMoments(long, [], [{ seconds: 30 }], 5, 100, pieces);
  assert.deepEqual(oneLook, [], 'a 60-s still looked at once (its frame at 30 s)');
  // …but not across a cut: each shot's still is its own.
  const two = shotsOf([0, 1], 30);
  assert.equal(planFaceMoments(two, [], [{ seconds: 15 }], 5, 100, pieces).filter((m) => m.shot === 1).length, 1);
});
