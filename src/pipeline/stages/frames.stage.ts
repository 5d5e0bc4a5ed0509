/**
 * Frames: stills from a video, picked per shot when the shots stage ran (every distinct
 * scene first, each at its shot's sharpest, least dark moment; uniform spacing when there
 * are no cuts: media/shots.ts `planFrames`), otherwise evenly spaced. The count is
 * FRAME_COUNT (or the contact sheet's tiles), grown to one frame per distinct scene up to
 * FRAME_MAX_COUNT; `options.frame_count` asks for an exact count. Each is taken by input seeking, up to
 * `framesPerProcess` moments per ffmpeg process (4 at 4K, 16 at 1080p and below) and two processes at a time, so the cost follows the number of frames, not
 * the video's length. A frame that does not decode is
 * skipped with a note. Stored under `frames/{date}/{id}/` (30 days); when
 * only the contact sheet asked for them they go to `temp/` instead.
 *
 * With people recognition on, each shot also gets moments for faces only, at least every
 * PEOPLE_FRAME_SECONDS (up to PEOPLE_MAX_FRAMES; none where the picture is a near copy of
 * one looked at in the shot: frame-plan.ts `planFaceMoments`), taken at the source's size
 * into `temp/` (`ctx.faceFrames`) by the same ffmpeg processes as the frames: the vision
 * stage looks for faces in them and nothing else reads them (not OCR, the contact sheet or
 * a provider).
 */
import { planFaceMoments, planFrames } from '../../media/frame-plan.ts';
import { artifactPath, recordArtifact } from '../artifacts.ts';
import { unless, type ExtractedFrame, type Stage, type StageContext } from '../stage.ts';
import { stageCores } from '../cpu-budget.ts';
import { recognizesPeople, visionTasks } from './vision.stage.ts';

export function wantsFrames(ctx: StageContext): boolean {
  return (
    ctx.source?.mediaType === 'video' &&
    ctx.media?.hasVideo === true &&
    (ctx.analysis.options.extract_frames !== false || wantsContactSheet(ctx))
  );
}

/** Whether the vision stage will look at the frames (it reads them at the source's size). */
function wantsVision(ctx: StageContext): boolean {
  return ctx.deps.vision !== undefined && visionTasks(ctx).length > 0;
}

/** Whether shots get moments for faces beside the frames (people recognition). */
function wantsFaceMoments(ctx: StageContext): boolean {
  const { everySeconds, max } = ctx.deps.config.vision.peopleFrames;
  return (
    ctx.shots !== undefined &&
    everySeconds > 0 &&
    max > 0 &&
    recognizesPeople(ctx) &&
    ctx.deps.vision !== undefined &&
    visionTasks(ctx).includes('faces')
  );
}

/** The video's picture size in pixels, from the probe (0 when unknown): how many moments one ffmpeg process takes. */
function sourcePixels(ctx: StageContext): number {
  const probe = ctx.results.probe;
  const video = probe?.kind === 'video' ? probe.streams.find((s) => s.type === 'video') : undefined;
  return (video?.width ?? 0) * (video?.height ?? 0);
}

export function wantsContactSheet(ctx: StageContext): boolean {
  return (
    ctx.source?.mediaType === 'video' &&
    ctx.media?.hasVideo === true &&
    ctx.analysis.options.generate_contact_sheet !== false
  );
}

/** How many frames: `count`, and up to `max` when the video shows more distinct scenes than that. */
function frameCount(ctx: StageContext): { count: number; max: number } {
  // A count asked for is the count given.
  const requested = ctx.analysis.options.frame_count;
  if (requested) return { count: requested, max: requested };
  const { rows, cols } = ctx.deps.tools.contactSheet.parseGrid(ctx.deps.config.media.contactSheet.grid);
  const count = Math.max(ctx.deps.config.media.frameCount, wantsContactSheet(ctx) ? rows * cols : 0);
  return { count, max: Math.max(count, ctx.deps.config.media.frameMaxCount) };
}

export const framesStage: Stage = {
  name: 'frames',
  needs: ['probe'],
  // Per-shot frames when the shots stage produced a plan; evenly spaced otherwise.
  uses: ['shots'],
  produces: ['frames'],
  optional: true,
  // ffmpeg processes run side by side, one core each.
  cost: stageCores,
  appliesTo: (ctx) => unless(wantsFrames(ctx), 'not a video, or frames and contact sheet are switched off'),
  async run(ctx) {
    const { evenlySpacedTimes } = ctx.deps.tools.ffmpeg;
    const { extractFramesInBatches } = ctx.deps.tools.frames;
    const { config } = ctx.deps;
    const duration = ctx.media?.durationSeconds ?? 0;
    const area = ctx.analysis.options.extract_frames === false ? 'temp' : 'frames';
    const { count, max } = frameCount(ctx);
    const planned: Array<{ seconds: number; shot?: number | undefined }> = ctx.shots
      ? planFrames(ctx.shots.shots, ctx.shots.samples, count, max)
      : evenlySpacedTimes(duration, count).map((seconds) => ({ seconds }));
    const notes: string[] = [];
    const started = performance.now();
    const run = { timeoutMs: config.media.ffmpegTimeoutMs, signal: ctx.signal };
    // OCR and the vision models read each moment at the source's size too, from the same
    // decode: small print does not survive 640 px, nor does a small face (a 32-px face in a
    // 640-px frame fails the face mesh that the same face passes at 56 px: bench/results/quality.md, vision).
    const atSourceSize = ctx.analysis.options.ocr === true || wantsVision(ctx);
    const targets = await Promise.all(
      planned.map(async (plan, i) => ({
        plan,
        ...(await artifactPath(ctx, area, `frame-${String(i + 1).padStart(3, '0')}.jpg`)),
        full: atSourceSize ? await artifactPath(ctx, 'temp', `frame-full-${String(i + 1).padStart(3, '0')}.jpg`) : null,
      })),
    );
    const people = config.vision.peopleFrames;
    const moments = wantsFaceMoments(ctx)
      ? planFaceMoments(
          ctx.shots!.shots,
          ctx.shots!.samples,
          planned,
          people.everySeconds,
          people.max,
          ctx.shots!.frozen,
        )
      : [];
    const faceTargets = await Promise.all(
      moments.map(async (plan, i) => ({
        plan,
        ...(await artifactPath(ctx, 'temp', `face-moment-${String(i + 1).padStart(3, '0')}.jpg`)),
      })),
    );
    // The frames and the moments for faces in the same ffmpeg processes (one start-up per
    // batch, not per kind). A moment that does not decode (a damaged stretch) loses that
    // frame, not the analysis.
    const written = await extractFramesInBatches(
      config.media.ffmpegPath,
      ctx.source!.absolutePath,
      [
        ...targets.map((t) => ({ seconds: t.plan.seconds, output: t.absolutePath, fullOutput: t.full?.absolutePath })),
        // At the source's size (width 0): a small face needs its own pixels.
        ...faceTargets.map((t) => ({ seconds: t.plan.seconds, output: t.absolutePath, width: 0 })),
      ],
      config.media.frameWidth,
      run,
      stageCores(ctx),
      sourcePixels(ctx),
    );
    const frames: Array<ExtractedFrame | null> = [];
    for (const [i, { plan, relativePath, absolutePath, full }] of targets.entries()) {
      if (!written[i]) {
        notes.push(`frame at ${plan.seconds} s did not decode; skipped`);
        frames.push(null);
        continue;
      }
      await recordArtifact(ctx, area, relativePath, 'image/jpeg');
      if (full) await recordArtifact(ctx, 'temp', full.relativePath, 'image/jpeg');
      frames.push({
        seconds: plan.seconds,
        relativePath,
        absolutePath,
        ...(plan.shot !== undefined ? { shot: plan.shot } : {}),
        ...(full ? { fullPath: full.absolutePath } : {}),
      });
    }
    ctx.frames = frames.filter((f): f is ExtractedFrame => f !== null);
    if (wantsFaceMoments(ctx)) {
      const faceFrames: ExtractedFrame[] = [];
      for (const [i, t] of faceTargets.entries()) {
        if (!written[targets.length + i]) continue;
        await recordArtifact(ctx, 'temp', t.relativePath, 'image/jpeg');
        faceFrames.push({
          seconds: t.plan.seconds,
          shot: t.plan.shot,
          relativePath: t.relativePath,
          absolutePath: t.absolutePath,
          fullPath: t.absolutePath,
        });
      }
      ctx.faceFrames = faceFrames;
      if (moments.length > 0)
        notes.push(
          `${faceFrames.length} more moments looked at for faces only (people recognition: every shot at least every ${people.everySeconds} s, at most ${people.max}, none where the picture is a near copy of one looked at in the shot)`,
        );
    }
    ctx.results.frames = {
      count: ctx.frames.length,
      requested: planned.length,
      method: ctx.shots
        ? 'every distinct scene first, per shot, accurate input seeking'
        : 'evenly spaced, accurate input seeking',
      stored: area === 'frames',
      extraction_ms: Math.round(performance.now() - started),
      items: ctx.frames.map((f) => ({ seconds: f.seconds, shot: f.shot ?? null, path: f.relativePath })),
      notes,
    };
  },
};
