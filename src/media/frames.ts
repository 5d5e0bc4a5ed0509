/**
 * Extract one still frame showing exactly the requested moment (accurate seek: decode
 * from the keyframe before it). A frame that does not come out (past the last frame, a
 * damaged stretch) is reported as missing, never replaced by another moment's picture.
 */
import fs from 'node:fs/promises';
import { frameAtArgs, runFfmpeg } from './ffmpeg.ts';

export async function extractFrame(
  ffmpegPath: string,
  input: string,
  seconds: number,
  output: string,
  width: number,
  run: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<boolean> {
  await runFfmpeg(ffmpegPath, frameAtArgs(input, seconds, output, width), run);
  return fs.stat(output).then(
    (st) => st.size > 0,
    () => false,
  );
}
