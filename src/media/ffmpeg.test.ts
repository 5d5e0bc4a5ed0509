import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evenlySpacedTimes,
  frameAtArgs,
  naiveContactSheetArgs,
  extractAudioArgs,
  audioAnalysisArgs,
  waveformArgs,
  parseEbur128,
  parseSilences,
  runFfmpeg,
} from './ffmpeg.ts';
import { AppError } from '../domain/errors.ts';

const times: Array<[number, number, number[]]> = [
  [60, 6, [5, 15, 25, 35, 45, 55]],
  [4, 2, [1, 3]],
  [1, 1, [0.5]],
  [0, 6, []],
  [10, 0, []],
];
for (const [d, n, expected] of times)
  test(`evenlySpacedTimes(${d}, ${n})`, () => assert.deepEqual(evenlySpacedTimes(d, n), expected));

test('frame extraction seeks on the input and decodes to the exact time; no network', () => {
  const a = frameAtArgs('/in.mp4', 12.5, '/out.jpg', 640);
  assert.ok(a.indexOf('-ss') < a.indexOf('-i'), 'input seeking: -ss before -i');
  assert.equal(a[a.indexOf('-ss') + 1], '12.500');
  assert.ok(!a.includes('-skip_frame') && !a.includes('-noaccurate_seek'), 'accurate seek, every frame decoded');
  assert.equal(a[a.indexOf('-protocol_whitelist') + 1], 'file,pipe');
  assert.equal(a[a.indexOf('-frames:v') + 1], '1');
  assert.equal(a.at(-1), '/out.jpg');
  assert.equal(a[a.indexOf('-vf') + 1], 'scale=640:-2');
  // Width 0: the source's displayed size, at most 1920 wide (a rotated phone video is not stretched).
  const full = frameAtArgs('/in.mp4', 12.5, '/out.jpg', 0);
  assert.equal(full[full.indexOf('-vf') + 1], "scale='min(iw,1920)':-2");
});

test('other builders', () => {
  assert.ok(
    naiveContactSheetArgs('/i', '/o', 100, 3, 2, 320).includes('select=not(mod(n\\,100)),scale=320:-2,tile=3x2'),
  );
  const x = extractAudioArgs('/i', '/o.wav');
  assert.deepEqual(x.slice(x.indexOf('-ac'), x.indexOf('-ac') + 4), ['-ac', '1', '-ar', '16000']);
  assert.match(audioAnalysisArgs('/i').join(' '), /ebur128=peak=true:framelog=verbose,silencedetect=noise=-35dB:d=0.4/);
  assert.match(waveformArgs('/i', '/o.png', 800, 100).join(' '), /showwavespic=s=800x100/);
});

test('parseEbur128 reads the summary block', () => {
  const log = `[Parsed_ebur128_0 @ 0x1] t: 0.1 M:-120 S:-120 I: -70.0 LUFS\n[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -21.8 LUFS\n    Threshold: -31.8 LUFS\n\n  Loudness range:\n    LRA:         3.2 LU\n\n  True peak:\n    Peak:      -18.1 dBFS`;
  assert.deepEqual(parseEbur128(log), { integrated_lufs: -21.8, loudness_range_lu: 3.2, true_peak_dbfs: -18.1 });
  assert.deepEqual(parseEbur128('nothing'), { integrated_lufs: null, loudness_range_lu: null, true_peak_dbfs: null });
  assert.equal(parseEbur128('Summary:\n I: -inf LUFS').integrated_lufs, null);
});

test('parseSilences: silences and the speech between them', () => {
  const log =
    '[silencedetect @ 0x1] silence_start: -0.01\n[silencedetect @ 0x1] silence_end: 1.02 | silence_duration: 1.03\n[silencedetect @ 0x1] silence_start: 3.5\n';
  const r = parseSilences(log, 4.5);
  assert.deepEqual(r.silences, [
    { start: 0, end: 1.02 },
    { start: 3.5, end: 4.5 },
  ]);
  assert.deepEqual(r.speech, [{ start: 1.02, end: 3.5 }]);
  assert.deepEqual(parseSilences('', 2).speech, [{ start: 0, end: 2 }]);
});

test('runFfmpeg maps failures', async () => {
  await assert.rejects(
    runFfmpeg('/no/ffmpeg', ['-version'], { timeoutMs: 1000 }),
    (e: unknown) => e instanceof AppError && e.code === 'PROBE_FAILED',
  );
  await assert.rejects(
    runFfmpeg('sh', ['-c', 'echo bad input >&2; exit 1'], { timeoutMs: 1000 }),
    (e: unknown) => e instanceof AppError && e.code === 'MEDIA_CORRUPT',
  );
  await assert.rejects(
    runFfmpeg('sleep', ['3'], { timeoutMs: 50 }),
    (e: unknown) => e instanceof AppError && e.code === 'MEDIA_TOO_COMPLEX' && e.permanent,
  );
});
