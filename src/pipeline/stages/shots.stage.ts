/**
 * Shots and cues (video): one ffmpeg decoding pass (in parts side by side for a long
 * video: media/shot-parts.ts) finds the cuts, black and frozen stretches, and samples
 * picture quality; each shot gets its representative moment, and shots that look alike
 * are one scene (the threshold is calibrated: VISION_CALIBRATION.sceneDistance).
 * The frames stage then picks its frames per shot (the frame plan lives in
 * `ctx.shots`). `options.shots` / VISION_SHOTS switch it. Optional: without shots the
 * frames stage falls back to evenly spaced frames.
 */
import { VISION_CALIBRATION } from '../../domain/analysis/calibration.ts';
import { partCount } from '../../media/shot-parts.ts';
import type { CueSection, ShotSection } from '../results.types.ts';
import { allOf, unless, type Stage, type StageContext } from '../stage.ts';
import { stageCores } from '../cpu-budget.ts';

function shotsSwitchedOn(ctx: StageContext): boolean {
  return ctx.analysis.options.shots ?? ctx.deps.config.vision.shots;
}

/** The pass runs in this many parts, one core each, within the worker's CPU budget. */
function passParts(ctx: StageContext): number {
  return partCount(ctx.media?.durationSeconds ?? 0, stageCores(ctx));
}

export const shotsStage: Stage = {
  name: 'shots',
  needs: ['probe'],
  produces: ['shots', 'cues'],
  optional: true,
  // One ffmpeg process per part of the video (a core each).
  cost: passParts,
  appliesTo: (ctx) =>
    allOf(
      unless(ctx.source?.mediaType === 'video' && ctx.media?.hasVideo === true, 'not a video'),
      unless(shotsSwitchedOn(ctx), 'shots are switched off (options.shots / VISION_SHOTS)'),
    ),
  async run(ctx) {
    const { detectShots } = ctx.deps.tools.shots;
    const { config } = ctx.deps;
    const threshold = config.vision.sceneThreshold ?? VISION_CALIBRATION.cutRise.value;
    const found = await detectShots(
      config.media.ffmpegPath,
      ctx.source!.absolutePath,
      ctx.media?.durationSeconds ?? 0,
      { timeoutMs: config.media.ffmpegTimeoutMs, signal: ctx.signal, parts: passParts(ctx) },
      {
        sceneThreshold: threshold,
        minBlackSeconds: 0.5,
        minFreezeSeconds: 2,
        sceneDistance: VISION_CALIBRATION.sceneDistance.value,
      },
    );
    ctx.shots = found;
    const shots: ShotSection = {
      status: 'completed',
      count: found.shots.length,
      scenes: found.scenes,
      items: found.shots.map((s) => ({ ...s })),
      threshold,
      pass_ms: found.pass_ms,
    };
    const cues: CueSection = { status: 'completed', black: found.black, frozen: found.frozen };
    ctx.results.shots = shots;
    ctx.results.cues = cues;
  },
};
