/**
 * A stage's status within one analysis, as stored while it runs:
 * - pending: planned, not started (waiting for its inputs or for CPU);
 * - running: started; stalled: running far past its expected duration;
 * - done; skipped (with the reason); failed (with the error code and message).
 */
/** The pipeline's stages, in their declared order (pipeline/pipeline.ts `DEFAULT_STAGES`). */
export const STAGE_NAMES = [
  'intake',
  'probe',
  'shots',
  'frames',
  'contact_sheet',
  'audio',
  'transcription',
  'image',
  'document',
  'frame_ocr',
  'vision',
  'people',
  'understanding',
  'answer',
  'outputs',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const STAGE_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed', 'stalled'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** What a stage's work is measured in, to learn how long it takes per unit. */
export const MEDIA_UNITS = ['minute', 'page', 'megabyte'] as const;
export type MediaUnit = (typeof MEDIA_UNITS)[number];

export interface AnalysisStage {
  stage: string;
  status: StageStatus;
  reason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempt: number;
  startedAt: Date | null;
  stalledAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}
