/**
 * Frames: evenly spaced stills from a video, each taken by an input-seeking ffmpeg run
 * that decodes only keyframes (two at a time), so the cost follows the number of
 * frames, not the video's length. Stored under `frames/{date}/{id}/` (30 days); when
 * only the contact sheet asked for them they go to `temp/` instead.
 */
import { evenlySpacedTimes } from '../../media/ffmpeg.ts';
import { extractFrame } from '../../media/frames.ts';
import { parseGrid } from '../../media/contact-sheet.ts';
import { artifactPath, recordArtifact } from '../artifacts.ts';
import { unless, type ExtractedFrame, type Stage, type StageContext } from '../stage.ts';

/** ffmpeg processes run side by side: two cores, one each. */
export const FRAME_PARALLELISM = 2;

export function wantsFrames(ctx: StageContext): boolean {
  return (
    ctx.source?.mediaType === 'video' &&
    ctx.media?.hasVideo === true &&
    (ctx.analysis.options.extract_frames !== false || wantsContactSheet(ctx))
  );
}

export function wantsContactSheet(ctx: StageContext): boolean {
  return (
    ctx.source?.mediaType === 'video' &&
    ctx.media?.hasVideo === true &&
    ctx.analysis.options.generate_contact_sheet !== false
  );
}

function frameCount(ctx: StageContext): number {
  const requested = typeof ctx.analysis.options.frame_count === 'number' ? ctx.analysis.options.frame_count : null;
  if (requested) return requested;
  const { rows, cols } = parseGrid(ctx.deps.config.media.contactSheet.grid);
  return Math.max(ctx.deps.config.media.frameCount, wantsContactSheet(ctx) ? rows * cols : 0);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export const framesStage: Stage = {
  name: 'frames',
  needs: ['probe'],
  produces: ['frames'],
  optional: true,
  cost: FRAME_PARALLELISM,
  appliesTo: (ctx) => unless(wantsFrames(ctx), 'not a video, or frames and contact sheet are switched off'),
  async run(ctx) {
    const { config } = ctx.deps;
    const duration = ctx.media?.durationSeconds ?? 0;
    const area = ctx.analysis.options.extract_frames === false ? 'temp' : 'frames';
    const times = evenlySpacedTimes(duration, frameCount(ctx));
    const started = performance.now();
    const frames = await mapLimit(times, FRAME_PARALLELISM, async (seconds, i): Promise<ExtractedFrame | null> => {
      const { relativePath, absolutePath } = await artifactPath(
        ctx,
        area,
        `frame-${String(i + 1).padStart(3, '0')}.jpg`,
      );
      const run = { timeoutMs: config.media.ffmpegTimeoutMs, signal: ctx.signal };
      if (
        !(await extractFrame(
          config.media.ffmpegPath,
          ctx.source!.absolutePath,
          seconds,
          absolutePath,
          config.media.frameWidth,
          run,
        ))
      )
        return null;
      await recordArtifact(ctx, area, relativePath, 'image/jpeg');
      return { seconds, relativePath, absolutePath };
    });
    ctx.frames = frames.filter((f): f is ExtractedFrame => f !== null);
    ctx.results.frames = {
      count: ctx.frames.length,
      requested: times.length,
      method: 'keyframe input seeking',
      stored: area === 'frames',
      extraction_ms: Math.round(performance.now() - started),
      items: ctx.frames.map((f) => ({ seconds: f.seconds, path: f.relativePath })),
    };
  },
};
