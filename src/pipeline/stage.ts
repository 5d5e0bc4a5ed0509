/**
 * A stage is one step of the pipeline. It declares the result sections it needs and
 * produces, so the runner (`stage-runner.ts`) can start it as soon as its inputs exist
 * and run independent stages side by side. Stages read and extend the context; they
 * reach the outside world only through the adapters and repositories in `deps`.
 *
 * Terminology:
 * - section: one named part of the analysis results (`results.types.ts`).
 * - needs: sections that must exist for the stage to run; when the stage producing one
 *   failed or was skipped, this stage is skipped and says why.
 * - uses: sections the stage reads when present; it waits for their stages, then runs
 *   with or without them.
 * - optional: a failure of the stage is recorded and the analysis completes as partial;
 *   a required stage's failure fails the analysis.
 * - cost: CPU cores the stage keeps busy; the worker's CPU budget bounds their sum.
 */
import type { Agent } from 'undici';
import type { Logger } from '../observability/logger.ts';
import type { Analysis, MediaType } from '../contract/analysis.types.ts';
import type { StageName } from '../contract/analysis-stage.types.ts';
import type { Db } from '../persistence/database.ts';
import type { Storage } from '../storage/storage.ts';
import type { AppConfig } from '../config/config.ts';
import type { ProviderRegistry } from '../providers/provider-registry.ts';
import type { AnalysisSections, FailedStage, SectionName, StageTiming } from './results.types.ts';
import type { CpuBudget } from './cpu-budget.ts';
import type { AnalysisStageRepository } from '../persistence/analysis-stage.repository.ts';
import type { StageRepositories } from '../persistence/stage-repositories.ts';
import type { VisionAdapter } from '../media/vision/model-host.ts';
import type { ShotAnalysis } from '../media/shots.ts';
import type { StageTools } from './stage-tools.ts';
import type { DetectedFace } from '../media/vision/vision.types.ts';
import type { PeopleService } from '../domain/people/people.service.ts';

export interface PipelineDeps {
  db: Db;
  /** The repositories stages write through (stages import no persistence module themselves). */
  repositories: StageRepositories;
  storage: Storage;
  config: AppConfig;
  downloadAgent: Agent;
  providers: ProviderRegistry;
  /** Media tools, OCR, the guarded download, provider calls and the embedder (stage-tools.ts). */
  tools: StageTools;
  /** Shared by every analysis of this worker process; the worker creates one when absent. */
  cpu?: CpuBudget;
  /** Where each stage's status is written as it happens; the worker sets it when absent. */
  stageRepository?: AnalysisStageRepository;
  /** Called with each finished stage's duration (metrics). */
  observeStage?: (stage: StageName, seconds: number) => void;
  /** Called when a stage is flagged stalled (metrics). */
  observeStall?: (stage: StageName) => void;
  /**
   * The on-CPU vision models (one model-host thread per worker process, started on first
   * use); an API-only process has none, and without it the vision stage is skipped.
   */
  vision?: VisionAdapter | undefined;
  /**
   * Groups described faces into the tenant's people; without it (or with
   * PEOPLE_RECOGNITION off) faces are detected but not described.
   */
  people?: PeopleService | undefined;
}

/** The faces the vision stage found on one picture, with their descriptions (for the people stage). */
export interface PictureFaces {
  /** Index of the picture in time order. */
  picture: number;
  seconds: number;
  shot: number | null;
  /** A document's picture: the page it is on (1-based); null otherwise. */
  page: number | null;
  /** The picture file (a frame, the image itself, or a picture embedded in a PDF). */
  path: string;
  faces: DetectedFace[];
}

/** The stored source file, known after intake. */
export interface SourceFile {
  mediaFileId: string;
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
  sha256: string;
  mime: string;
  mediaType: MediaType;
}

/** A frame extracted from a video, kept for later stages (contact sheet, OCR). */
export interface ExtractedFrame {
  seconds: number;
  /** The shot the frame belongs to, when shots were detected. */
  shot?: number;
  absolutePath: string;
  relativePath: string;
  /** The same moment at the source's size (up to FULL_FRAME_MAX_WIDTH), taken when OCR or vision runs: what frame_ocr and vision read. */
  fullPath?: string;
}

/** Probe facts later stages need. */
export interface MediaFacts {
  durationSeconds: number | null;
  hasAudio: boolean;
  hasVideo: boolean;
}

export interface StageContext {
  analysis: Analysis;
  /** Aborted on cancel, delete, shutdown, or when this stage passes its time limit. */
  signal: AbortSignal;
  log: Logger;
  deps: PipelineDeps;
  /** Set by intake. */
  source: SourceFile | null;
  /** Sections of the analysis `results`, typed per section. */
  results: AnalysisSections;
  /** Set by probe. */
  media?: MediaFacts;
  /** Set by frames. */
  frames?: ExtractedFrame[];
  /** Set by frames with people recognition on: more moments of each shot, at the source's size, for faces only. */
  faceFrames?: ExtractedFrame[];
  /** Set by shots (video): shots, cues and quality samples; the frames stage plans from them. */
  shots?: ShotAnalysis;
  /** Set by vision when faces were described: every picture's faces (descriptions are never in `results`). */
  pictureFaces?: PictureFaces[];
  /** Stage timings so far (the outputs stage writes them). */
  timings?: StageTiming[];
  /** Optional stages that failed so far (the outputs stage writes them). */
  failedStages?: FailedStage[];
}

/**
 * Whether a stage runs for this analysis: `true`, or a short reason why it is skipped
 * (`false` means "does not apply to this media or these options").
 */
export type Applies = boolean | string;

export interface Stage {
  /** Unique; shown in status and metrics. */
  name: StageName;
  needs: readonly SectionName[];
  uses?: readonly SectionName[];
  produces: readonly SectionName[];
  /** Runs after every other stage has settled (e.g. writing result.json). */
  final?: boolean;
  /** A failure leaves the analysis `completed` with `partial: true` instead of failing it. */
  optional: boolean;
  /**
   * CPU cores kept busy while it runs (default 1; 0 for stages that wait on a remote
   * service). A function when it depends on the analysis (a local engine or a provider).
   */
  cost?: number | ((ctx: StageContext) => number);
  appliesTo(ctx: StageContext): Applies;
  run(ctx: StageContext): Promise<void>;
}

/** The CPU units `stage` holds while it runs for this analysis. */
export function stageCost(stage: Stage, ctx: StageContext): number {
  return typeof stage.cost === 'function' ? stage.cost(ctx) : (stage.cost ?? 1);
}

/** The first reason not to run among `checks`, or `true` when none objects (`&&` would not do: reasons are truthy). */
export function allOf(...checks: Applies[]): Applies {
  for (const check of checks) if (check !== true) return check;
  return true;
}

/** `true` when `condition` holds, else the reason. Reads well in `appliesTo`. */
export function unless(condition: boolean, reason: string): Applies {
  return condition ? true : reason;
}
