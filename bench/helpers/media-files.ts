/**
 * Files the media benchmarks generate and cache under `data/`: an existence check and
 * the ffmpeg concat (stream copy) that builds a long video from short segments in
 * seconds instead of encoding an hour of picture. Keyframes of the segments are kept,
 * so a long video has the same keyframe spacing as its segments.
 */
import fs from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

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
  const partial = `${out}.partial${extensionOf(out)}`;
  await fs.writeFile(list, segments.map((s) => `file '${s.replaceAll("'", "'\\''")}'`).join('\n') + '\n');
  try {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-c',
      'copy',
      partial,
    ]);
    await fs.rename(partial, out);
  } finally {
    await fs.rm(list, { force: true });
    await fs.rm(partial, { force: true });
  }
}

function extensionOf(file: string): string {
  const m = /\.[A-Za-z0-9]+$/.exec(file);
  return m ? m[0] : '';
}
