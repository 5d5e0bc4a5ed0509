/**
 * Runs the stages in order. Before each stage it asks whether the analysis may go on
 * (a cancel or delete stops it at the next step); after each one it records the
 * stage's timing and moves progress.
 */
import type { Stage, StageContext } from './stage.ts';
import { intakeStage } from './stages/intake.stage.ts';
import { probeStage } from './stages/probe.stage.ts';
import { framesStage } from './stages/frames.stage.ts';
import { contactSheetStage } from './stages/contact-sheet.stage.ts';
import { audioStage } from './stages/audio.stage.ts';
import { imageStage } from './stages/image.stage.ts';
import { documentStage } from './stages/document.stage.ts';
import { frameOcrStage } from './stages/frame-ocr.stage.ts';
import { outputsStage } from './stages/outputs.stage.ts';
import { transcriptionStage } from './stages/transcription.stage.ts';
import { answerStage } from './stages/answer.stage.ts';
import { understandingStage } from './stages/understanding.stage.ts';

/** The default pipeline, in order; each stage decides from the media and options whether it applies. */
export const DEFAULT_STAGES: readonly Stage[] = [
  intakeStage,
  probeStage,
  framesStage,
  contactSheetStage,
  audioStage,
  transcriptionStage,
  imageStage,
  documentStage,
  frameOcrStage,
  understandingStage,
  answerStage,
  outputsStage,
];

/** Progress reserved for completion: stages move progress up to this value. */
export const STAGES_PROGRESS_CEILING = 95;

export class AnalysisStoppedError extends Error {
  readonly status: string;
  constructor(status: string) {
    super(`Analysis is ${status}; stopping`);
    this.status = status;
    this.name = 'AnalysisStoppedError';
  }
}

export interface PipelineHooks {
  /** Throw AnalysisStoppedError when the analysis must not go on. */
  checkpoint(stage: string): Promise<void>;
  progress(percent: number): Promise<void>;
}

export interface StageTiming {
  stage: string;
  ms: number;
}

export async function runPipeline(
  ctx: StageContext,
  stages: readonly Stage[],
  hooks: PipelineHooks,
): Promise<StageTiming[]> {
  const timings: StageTiming[] = [];
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    await hooks.checkpoint(stage.name);
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
    if (!stage.appliesTo(ctx)) continue;
    const started = performance.now();
    ctx.log.debug({ stage: stage.name }, 'stage started');
    await stage.run(ctx);
    const ms = Math.round(performance.now() - started);
    timings.push({ stage: stage.name, ms });
    ctx.timings = timings;
    ctx.deps.observeStage?.(stage.name, ms / 1000);
    ctx.log.info({ stage: stage.name, ms }, 'stage finished');
    await hooks.progress(Math.round(((i + 1) / stages.length) * STAGES_PROGRESS_CEILING));
  }
  return timings;
}
