/**
 * The pipeline: the stage list, declared once, in an order where each stage comes
 * after the stages producing what it needs (that order is also the sequential
 * baseline). The runner (`stage-runner.ts`) starts each stage once its inputs exist,
 * so independent stages run side by side within the worker's CPU budget.
 *
 * The diagram of this list is docs/pipeline.md, generated from it by scripts/docs.ts.
 */
import type { Stage } from './stage.ts';
import { intakeStage } from './stages/intake.stage.ts';
import { probeStage } from './stages/probe.stage.ts';
import { shotsStage } from './stages/shots.stage.ts';
import { framesStage } from './stages/frames.stage.ts';
import { contactSheetStage } from './stages/contact-sheet.stage.ts';
import { audioStage } from './stages/audio.stage.ts';
import { imageStage } from './stages/image.stage.ts';
import { documentStage } from './stages/document.stage.ts';
import { frameOcrStage } from './stages/frame-ocr.stage.ts';
import { visionStage } from './stages/vision.stage.ts';
import { peopleStage } from './stages/people.stage.ts';
import { outputsStage } from './stages/outputs.stage.ts';
import { transcriptionStage } from './stages/transcription.stage.ts';
import { answerStage } from './stages/answer.stage.ts';
import { understandingStage } from './stages/understanding.stage.ts';

/** The default pipeline; each stage decides from the media and options whether it applies. */
export const DEFAULT_STAGES: readonly Stage[] = [
  intakeStage,
  probeStage,
  shotsStage,
  framesStage,
  contactSheetStage,
  audioStage,
  transcriptionStage,
  imageStage,
  documentStage,
  frameOcrStage,
  visionStage,
  peopleStage,
  understandingStage,
  answerStage,
  outputsStage,
];

export { runPipeline, AnalysisStoppedError } from './stage-runner.ts';
