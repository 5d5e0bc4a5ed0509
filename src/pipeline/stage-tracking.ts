/**
 * Ties a pipeline run to the analysis_stages table: each stage's status is written as
 * it happens (through the repository in the deps), and each stage's time limits come
 * from the configuration and from what past runs of that stage took.
 */
import type { Analysis } from '../contract/analysis.types.ts';
import type { MediaUnit } from '../contract/analysis-stage.types.ts';
import type { AnalysisStageRepository } from '../persistence/analysis-stage.repository.ts';
import { hardLimitMs, mediaWork, stageLimits } from './stage-limits.ts';
import type { PipelineHooks } from './stage-runner.ts';
import type { PipelineDeps } from './stage.ts';

/** The download has its own deadline; intake's limit leaves it this much room on top. */
const INTAKE_MARGIN_MS = 60_000;

export function trackStages(
  deps: PipelineDeps & { stageRepository: AnalysisStageRepository },
  analysis: Pick<Analysis, 'id' | 'tenantId'>,
  attempt: number,
): Required<Pick<PipelineHooks, 'events' | 'limits'>> {
  const { db, config, stageRepository: repo } = deps;
  const id = analysis.id;
  const work = new Map<string, { units: number; unit: MediaUnit } | null>();
  return {
    events: {
      planned: (stages) => repo.plan(db, id, analysis.tenantId, stages, attempt),
      started: (stage) => repo.start(db, id, stage, work.get(stage) ?? null),
      done: (stage, ms) => repo.done(db, id, stage, ms),
      skipped: (stage, reason) => repo.skipped(db, id, stage, reason),
      failed: (stage, err, ms) => repo.failed(db, id, stage, err.code, err.message, ms),
      stalled: async (stage) => {
        await repo.stalled(db, id, stage);
      },
    },
    async limits(stage, ctx) {
      const measured = mediaWork(ctx);
      work.set(stage.name, measured);
      const learned = measured ? await repo.learnedRate(db, stage.name, measured.unit) : null;
      let hard = hardLimitMs(stage.name, config.stages.timeLimitsMs);
      if (stage.name === 'intake' && config.stages.timeLimitsMs.intake === undefined)
        hard = Math.max(hard, config.limits.downloadTimeoutMs + INTAKE_MARGIN_MS);
      return stageLimits({
        hardLimitMs: hard,
        stallFactor: config.stages.stallFactor,
        stallFloorMs: config.stages.stallFloorMs,
        msPerUnit: learned?.msPerUnit ?? null,
        units: measured?.units ?? null,
      });
    },
  };
}
