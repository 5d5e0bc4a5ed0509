/**
 * Frames show the moment their label says, on a video whose keyframes are 10 s apart
 * (a keyframe-only seek would return the 0 s or 10 s picture for every request).
 * The video carries its frame number as a barcode, read back from each still.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { extractFrame, extractFrames, framesPerProcess, FRAMES_PER_PROCESS, MAX_FRAMES_PER_PROCESS } from './frames.ts';
import { makeCodedVideo, readFrameCode } from '../../test/helpers/frame-code.ts';
import { hasFfmpeg } from '../../test/helpers/fixtures.ts';

const FPS = 10;
const BLOCK = 16;
let dir: string;
let video: string;

before(async () => {
  if (!hasFfmpeg()) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-frames-'));
  video = path.join(dir, 'sparse-keyframes.mp4');
  makeCodedVideo(video, { width: 320, height: 240, fps: FPS, seconds: 20, keyframeSeconds: 10, block: BLOCK });
});
after(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test(
  'every frame shows its labelled moment (within one frame), no repeats, keyframes 10 s apart',
  {
    skip: !hasFfmpeg() && 'ffmpeg is not installed',
  },
  async () => {
    const times = [1.7, 5.0, 8.3, 11.1, 14.6, 19.2];
    const shown: number[] = [];
    for (const [i, seconds] of times.entries()) {
      const out = path.join(dir, `f${i}.jpg`);
      assert.ok(await extractFrame('ffmpeg', video, seconds, out, 160, { timeoutMs: 30_000 }), `frame at ${seconds}`);
      const frame = await readFrameCode(out, BLOCK, 160 / 320);
      const frameSeconds = frame / FPS;
      assert.ok(
        Math.abs(frameSeconds - seconds) <= 1 / FPS + 1e-9,
        `labelled ${seconds} s but shows frame ${frame} (${frameSeconds} s)`,
      );
      shown.push(frame);
    }
    assert.equal(new Set(shown).size, shown.length, `repeated pictures: ${shown.join(',')}`);
  },
);

test(
  'a moment past the last frame gives no picture rather than another moment',
  {
    skip: !hasFfmpeg() && 'ffmpeg is not installed',
  },
  async () => {
    assert.equal(
      await extractFrame('ffmpeg', video, 25, path.join(dir, 'past.jpg'), 160, { timeoutMs: 30_000 }),
      false,
    );
  },
);

test(
  'one process for several moments: each shows its own moment; one past the end is missing, the others kept',
  {
    skip: !hasFfmpeg() && 'ffmpeg is not installed',
  },
  async () => {
    const times = [19.2, 1.7, 11.1, 25];
    const outs = times.map((_, i) => path.join(dir, `b${i}.jpg`));
    const written = await extractFrames(
      'ffmpeg',
      video,
      times.map((seconds, i) => ({ seconds, output: outs[i]! })),
      160,
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(written, [true, true, true, false]);
    for (const [i, seconds] of times.slice(0, 3).entries()) {
      const frame = await readFrameCode(outs[i]!, BLOCK, 160 / 320);
      assert.ok(Math.abs(frame / FPS - seconds) <= 1 / FPS + 1e-9, `labelled ${seconds} s but shows frame ${frame}`);
    }
  },
);

test(
  'a moment taken for OCR too: the same picture at the source size, from the same process',
  {
    skip: !hasFfmpeg() && 'ffmpeg is not installed',
  },
  async () => {
    const times = [5.0, 14.6];
    const outs = times.map((_, i) => path.join(dir, `o${i}.jpg`));
    const fulls = times.map((_, i) => path.join(dir, `o${i}-full.jpg`));
    const written = await extractFrames(
      'ffmpeg',
      video,
      times.map((seconds, i) => ({ seconds, output: outs[i]!, fullOutput: fulls[i]! })),
      160,
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(written, [true, true]);
    for (const [i, seconds] of times.entries()) {
      const small = await readFrameCode(outs[i]!, BLOCK, 160 / 320);
      const full = await readFrameCode(fulls[i]!, BLOCK, 1);
      assert.equal(full, small, `the full-size picture at ${seconds} s is another moment`);
      assert.ok(Math.abs(full / FPS - seconds) <= 1 / FPS + 1e-9);
      const { width } = await sharp(fulls[i]!).metadata();
      assert.equal(width, 320, 'taken at the source width');
    }
  },
);

test(
  'a moment with its own width (a moment for faces, at the source size) beside frames at the analysis width, one process',
  {
    skip: !hasFfmpeg() && 'ffmpeg is not installed',
  },
  async () => {
    const outs = [path.join(dir, 'w-frame.jpg'), path.join(dir, 'w-moment.jpg')];
    const written = await extractFrames(
      'ffmpeg',
      video,
      [
        { seconds: 3.3, output: outs[0]! },
        { seconds: 16.4, output: outs[1]!, width: 0 },
      ],
      160,
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(written, [true, true]);
    assert.equal((await sharp(outs[0]!).metadata()).width, 160);
    assert.equal((await sharp(outs[1]!).metadata()).width, 320, 'the moment at the source width');
    const frame = await readFrameCode(outs[1]!, BLOCK, 1);
    assert.ok(Math.abs(frame / FPS - 16.4) <= 1 / FPS + 1e-9, `labelled 16.4 s but shows frame ${frame}`);
  },
);

test('moments per process: four 4K inputs, more of a smaller picture in proportion, within the cap', () => {
  assert.equal(framesPerProcess(0), FRAMES_PER_PROCESS, 'an unknown size is taken for 4K');
  assert.equal(framesPerProcess(3840 * 2160), FRAMES_PER_PROCESS);
  assert.equal(framesPerProcess(7680 * 4320), FRAMES_PER_PROCESS, 'never fewer than at 4K');
  assert.equal(framesPerProcess(2560 * 1440), 9);
  assert.equal(framesPerProcess(1920 * 1080), MAX_FRAMES_PER_PROCESS);
  assert.equal(framesPerProcess(1280 * 720), MAX_FRAMES_PER_PROCESS);
});
