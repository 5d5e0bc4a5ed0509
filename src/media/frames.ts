/**
 * Extract still frames each showing exactly the requested moment (accurate seek: decode
 * from the keyframe before it). A frame that does not come out (past the last frame, a
 * damaged stretch) is reported as missing, never replaced by another moment's picture.
 */
import fs from 'node:fs/promises';
import { AppError } from '../domain/errors.ts';
import { framesAtArgs, runFfmpeg } from './ffmpeg.ts';

/**
 * Most moments one ffmpeg process takes from a 4K source (or one of unknown size): every
 * input holds its own decoder (and its reference frames) at once, so the batch is bounded
 * for 4K sources.
 */
export const FRAMES_PER_PROCESS = 4;
/**
 * Most moments one process takes from any source. Measured once: 16 inputs of a 720p video
 * held about 370 MB resident; a 1080p source reaches the cap too, with 2.25x the pixels per
 * input (not measured), and two such processes can run at once.
 */
export const MAX_FRAMES_PER_PROCESS = 16;
const UHD_PIXELS = 3840 * 2160;

/**
 * Moments per process for a source of `pixels` (width x height, 0 when unknown): the
 * decoders' pictures of FRAMES_PER_PROCESS 4K inputs, so more inputs of a smaller picture
 * (9 at 1440p, 16 at 1080p and below), at most MAX_FRAMES_PER_PROCESS. Fewer processes, fewer of
 * ffmpeg's start-ups, the costliest part of taking a moment from a short GOP.
 */
export function framesPerProcess(pixels = 0): number {
  if (!(pixels > 0)) return FRAMES_PER_PROCESS;
  return Math.max(
    FRAMES_PER_PROCESS,
    Math.min(MAX_FRAMES_PER_PROCESS, Math.floor((FRAMES_PER_PROCESS * UHD_PIXELS) / pixels)),
  );
}

type Run = { timeoutMs: number; signal?: AbortSignal | undefined };

/**
 * One moment to take: `output` at the analysis width (or at its own `width`, 0 for the
 * source's size); `fullOutput`, when given, the same picture at the source's size (for
 * OCR), from the same decode. A moment counts as written when its `output` is.
 */
export interface FrameRequest {
  seconds: number;
  output: string;
  fullOutput?: string | undefined;
  width?: number | undefined;
}

export async function extractFrame(
  ffmpegPath: string,
  input: string,
  seconds: number,
  output: string,
  width: number,
  run: Run,
): Promise<boolean> {
  const [ok] = await extractFrames(ffmpegPath, input, [{ seconds, output }], width, run);
  return ok!;
}

/**
 * The frames at `frames` (at most MAX_FRAMES_PER_PROCESS) in one ffmpeg process; for each,
 * whether it was written. When the batch fails on a damaged stretch, the moments are
 * taken one by one so that only the damaged ones are lost (`MEDIA_CORRUPT` then means
 * that moment did not decode, and it reports false).
 */
export async function extractFrames(
  ffmpegPath: string,
  input: string,
  frames: ReadonlyArray<FrameRequest>,
  width: number,
  run: Run,
): Promise<boolean[]> {
  if (frames.length > MAX_FRAMES_PER_PROCESS)
    throw new RangeError(`at most ${MAX_FRAMES_PER_PROCESS} frames per process`);
  try {
    await runFfmpeg(ffmpegPath, framesAtArgs(input, frames, width), run);
  } catch (err) {
    if (frames.length === 1 || !(err instanceof AppError && err.code === 'MEDIA_CORRUPT')) throw err;
    const one: boolean[] = [];
    for (const f of frames)
      one.push(
        await extractFrames(ffmpegPath, input, [f], width, run).then(
          ([ok]) => ok!,
          (e: unknown) => {
            if (e instanceof AppError && e.code === 'MEDIA_CORRUPT') return false;
            throw e;
          },
        ),
      );
    return one;
  }
  return Promise.all(frames.map((f) => written(f.output)));
}

function written(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (st) => st.size > 0,
    () => false,
  );
}

/**
 * Every moment of `frames`, `framesPerProcess(sourcePixels)` per ffmpeg process (fewer when
 * that keeps `parallel` processes busy) and `parallel` processes at a time; for each,
 * whether it was written. A batch that fails on a damaged stretch loses only its moments
 * that do not decode (false); other failures (a timeout, an abort) are thrown.
 */
export async function extractFramesInBatches(
  ffmpegPath: string,
  input: string,
  frames: ReadonlyArray<FrameRequest>,
  width: number,
  run: Run,
  parallel: number,
  sourcePixels = 0,
): Promise<boolean[]> {
  const size = Math.min(framesPerProcess(sourcePixels), Math.ceil(frames.length / parallel));
  const starts: number[] = [];
  for (let i = 0; i < frames.length; i += size) starts.push(i);
  const written: boolean[] = new Array<boolean>(frames.length).fill(false);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, starts.length) }, async () => {
      while (next < starts.length) {
        const at = starts[next++]!;
        const batch = frames.slice(at, at + size);
        const ok = await extractFrames(ffmpegPath, input, batch, width, run).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'MEDIA_CORRUPT') return batch.map(() => false);
          throw err;
        });
        ok.forEach((w, i) => (written[at + i] = w));
      }
    }),
  );
  return written;
}
