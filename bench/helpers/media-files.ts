/**
 * Files the media benchmarks generate and cache under `data/`: an existence check and
 * the ffmpeg concat (stream copy) that builds a long video from short segments in
 * seconds instead of encoding an hour of picture. Keyframes of the segments are kept,
 * so a long video has the same keyframe spacing as its segments.
 */
import fs from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

/**
 * Encode a still photo as a `seconds`-long 720p, 25 fps H.264 shot with film grain (so no
 * two frames are equal) and a keyframe every 2 s. Cached: an existing `out` is kept.
 */
export async function photoShot(photoFile: string, seconds: number, out: string): Promise<void> {
  if (await exists(out)) return;
  await ffmpegInto(out, [
    '-loop',
    '1',
    '-t',
    String(seconds),
    '-i',
    photoFile,
    '-vf',
    'scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,' +
      'setsar=1,fps=25,noise=alls=6:allf=t,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '26',
    '-g',
    '50',
  ]);
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Join `segments` (in order, repeats allowed) into `out` by stream copy, through a
 * concat list written beside `out`. Written to a temporary name first, so an
 * interrupted run never leaves a half video that the cache would take as done.
 */
export async function concatCopy(segments: readonly string[], out: string): Promise<void> {
  const list = `${out}.list.txt`;
  await fs.writeFile(list, segments.map((s) => `file '${s.replaceAll("'", "'\\''")}'`).join('\n') + '\n');
  try {
    await ffmpegInto(out, ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy']);
  } finally {
    await fs.rm(list, { force: true });
  }
}

/**
 * Run ffmpeg with `args` writing to a temporary name beside `out`, renamed to `out` when
 * it succeeds, so an interrupted run never leaves a half file the cache would take as done.
 */
async function ffmpegInto(out: string, args: readonly string[]): Promise<void> {
  const partial = `${out}.partial${extensionOf(out)}`;
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, partial]);
    await fs.rename(partial, out);
  } finally {
    await fs.rm(partial, { force: true });
  }
}

function extensionOf(file: string): string {
  const m = /\.[A-Za-z0-9]+$/.exec(file);
  return m ? m[0] : '';
}
