/** Extract one still frame: keyframe-only seek first, an accurate seek when that comes back empty. */
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
  const written = () =>
    fs.stat(output).then(
      (st) => st.size > 0,
      () => false,
    );
  await runFfmpeg(ffmpegPath, frameAtArgs(input, seconds, output, width), run);
  if (await written()) return true;
  // Past the last keyframe a keyframe-only seek comes back empty: decode from that keyframe instead.
  await runFfmpeg(ffmpegPath, frameAtArgs(input, seconds, output, width, false), run);
  return written();
}
