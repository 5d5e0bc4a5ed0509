/**
 * The analysis `results` as the pipeline names them. The sections are declared once, as
 * TypeBox schemas in the contract (src/contract/*.schema.ts); these are their types.
 * A stage names the sections it needs and produces (see `stage.ts`); the runner and later
 * stages read them through these types, never through `any`.
 */
export type {
  AnalysisResults,
  AnalysisSections,
  FailedStage,
  SectionName,
  StageTiming,
} from '../contract/results.schema.ts';
export type { AudioSection, ImageSection, IntakeSection } from '../contract/media-sections.schema.ts';
export type { FrameOcrLine } from '../contract/text-sections.schema.ts';
export type { CueSection, PeopleSection, ShotSection } from '../contract/vision-sections.schema.ts';
