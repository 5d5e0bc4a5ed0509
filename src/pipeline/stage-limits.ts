/**
 * Time limits per stage. The hard limit is configured (defaults below, overridden by
 * STAGE_TIME_LIMITS); past it the stage is aborted and the job retried. The stall
 * threshold is learned: the median time per unit of media (minute of audio/video, page,
 * megabyte) over the stage's latest finished runs, times the media's units, times
 * STAGE_STALL_FACTOR, and never under STAGE_STALL_FLOOR_MS. Before enough runs exist,
 * a stage is flagged stalled at half its hard limit.
 */
import type { MediaUnit } from '../contract/analysis-stage.types.ts';
import type { StageLimits } from './stage-runner.ts';
import type { StageContext } from './stage.ts';

const MINUTE = 60_000;

/**
 * Defaults sized for the longest media the service accepts on two cores: a stage
 * still running at its limit is not making progress (each ffmpeg run also has its
 * own FFMPEG_TIMEOUT_MS).
 */
export const DEFAULT_STAGE_TIME_LIMITS_MS: Readonly<Record<string, number>> = {
  intake: 15 * MINUTE,
  probe: 2 * MINUTE,
  frames: 10 * MINUTE,
  contact_sheet: 2 * MINUTE,
  audio: 20 * MINUTE,
  transcription: 30 * MINUTE,
  image: 5 * MINUTE,
  document: 15 * MINUTE,
  frame_ocr: 15 * MINUTE,
  answer: 10 * MINUTE,
  outputs: 2 * MINUTE,
};

/** For stages with no default of their own. */
export const FALLBACK_STAGE_TIME_LIMIT_MS = 15 * MINUTE;

const BYTES_PER_MEGABYTE = 1024 * 1024;

/** How much media a stage works on, in the unit its duration is learned per. */
export function mediaWork(ctx: StageContext): { units: number; unit: MediaUnit } | null {
  const seconds = ctx.media?.durationSeconds;
  if (typeof seconds === 'number' && seconds > 0) return { units: seconds / 60, unit: 'minute' };
  const probe = ctx.results.probe;
  if (probe?.kind === 'document' && typeof probe.pages === 'number' && probe.pages > 0)
    return { units: probe.pages, unit: 'page' };
  if (ctx.source && ctx.source.sizeBytes > 0)
    return { units: ctx.source.sizeBytes / BYTES_PER_MEGABYTE, unit: 'megabyte' };
  return null;
}

export function hardLimitMs(stage: string, configured: Readonly<Record<string, number>>): number {
  return configured[stage] ?? DEFAULT_STAGE_TIME_LIMITS_MS[stage] ?? FALLBACK_STAGE_TIME_LIMIT_MS;
}

export function stageLimits(opts: {
  hardLimitMs: number;
  stallFactor: number;
  stallFloorMs: number;
  /** Learned median time per unit, or null before enough runs. */
  msPerUnit: number | null;
  units: number | null;
}): StageLimits {
  const expectedMs = opts.msPerUnit !== null && opts.units !== null ? opts.msPerUnit * opts.units : null;
  const stallAfter =
    expectedMs !== null
      ? Math.max(opts.stallFloorMs, expectedMs * opts.stallFactor)
      : Math.max(opts.stallFloorMs, opts.hardLimitMs / 2);
  return {
    expectedMs: expectedMs === null ? null : Math.round(expectedMs),
    // A threshold at or past the hard limit would never show: the abort comes first.
    stallAfterMs: stallAfter < opts.hardLimitMs ? Math.round(stallAfter) : null,
    hardLimitMs: opts.hardLimitMs,
  };
}
