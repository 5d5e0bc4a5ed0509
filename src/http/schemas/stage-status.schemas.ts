/**
 * The per-stage part of a status response: every planned stage with its status, and
 * the stage the work is in now. Shown in OpenAPI through StatusResponseSchema.
 */
import type { AnalysisResults } from '../../contract/results.schema.ts';
import { Type } from 'typebox';
import { STAGE_STATUSES, type AnalysisStage } from '../../contract/analysis-stage.types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Nullable(Type.String({ format: 'date-time' }));

export const StageStatusSchema = Type.Object(
  {
    name: Type.String({ description: 'Stage name (intake, probe, frames, …)' }),
    status: Type.Enum([...STAGE_STATUSES], {
      description:
        'pending, running, done, skipped (see reason), failed (see error_code), stalled (running far past its expected time)',
    }),
    reason: Nullable(Type.String({ description: 'Why the stage was skipped' })),
    error_code: Nullable(Type.String()),
    error_message: Nullable(Type.String()),
    attempt: Type.Integer({ minimum: 1 }),
    started_at: Timestamp,
    stalled_at: Timestamp,
    finished_at: Timestamp,
    duration_ms: Nullable(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** Fields added to the status response. */
export const StageFieldsSchema = {
  stages: Type.Array(StageStatusSchema, { description: 'Every stage of the current attempt, in pipeline order' }),
  current_stage: Nullable(
    Type.String({
      description: 'The earliest running stage while the analysis is processing (others may run beside it)',
    }),
  ),
  partial: Type.Boolean({ description: 'Completed, but an optional stage failed; see failed_stages' }),
  failed_stages: Type.Array(Type.String(), { description: 'Optional stages that failed in a completed analysis' }),
};

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function stageFields(
  analysis: { status: string; results: AnalysisResults | null },
  stages: readonly AnalysisStage[],
) {
  const current =
    analysis.status === 'processing'
      ? (stages.find((s) => s.status === 'running' || s.status === 'stalled')?.stage ?? null)
      : null;
  const failed = analysis.status === 'completed' ? stages.filter((s) => s.status === 'failed').map((s) => s.stage) : [];
  return {
    stages: stages.map((s) => ({
      name: s.stage,
      status: s.status,
      reason: s.reason,
      error_code: s.errorCode,
      error_message: s.errorMessage,
      attempt: s.attempt,
      started_at: iso(s.startedAt),
      stalled_at: iso(s.stalledAt),
      finished_at: iso(s.finishedAt),
      duration_ms: s.durationMs,
    })),
    current_stage: current,
    partial: analysis.results?.partial === true,
    failed_stages: failed,
  };
}
