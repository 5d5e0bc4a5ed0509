/**
 * The analysis `results`: one schema per section, declared once, as TypeBox. Everything
 * else is derived from it: the stages' TypeScript types (`Static<>`), the stored column's
 * type, the status response and the exports in the OpenAPI document (as components), the
 * SDK's types (generated from that document) and the console's (the SDK's).
 *
 * Adding a section: its schema in one of the *-sections.schema.ts files, one optional
 * key here, and the stage producing it in `pipeline.ts`.
 *
 * The objects are open on the wire (no `additionalProperties: false`): analyses stored by
 * an earlier version may carry fields since retired, and a client must not break on a
 * field added later. What our own stages write is held to exactly this contract by
 * `results.contract.test.ts`, which checks real results with every object closed.
 */
import { Type, type Static } from 'typebox';
import {
  AudioSectionSchema,
  ContactSheetSectionSchema,
  DocumentSectionSchema,
  FramesSectionSchema,
  ImageSectionSchema,
  IntakeSectionSchema,
  ProbeSectionSchema,
} from './media-sections.schema.ts';
import {
  AnswerSectionSchema,
  FrameOcrSectionSchema,
  TranscriptSectionSchema,
  UnderstandingSectionSchema,
} from './text-sections.schema.ts';
import {
  CueSectionSchema,
  FacesSectionSchema,
  ModerationSectionSchema,
  ObjectsSectionSchema,
  PeopleSectionSchema,
  ShotSectionSchema,
} from './vision-sections.schema.ts';

export const OutputsSectionSchema = Type.Object(
  {
    result_json: Type.String({ description: 'Path of result.json (every section)' }),
    summary_txt: Type.String({ description: 'Path of summary.txt' }),
  },
  { $id: 'OutputsSection' },
);

/** Every section a stage can produce, by name. A stage's `needs`/`produces` name these keys. */
const sections = {
  intake: Type.Optional(IntakeSectionSchema),
  probe: Type.Optional(ProbeSectionSchema),
  shots: Type.Optional(ShotSectionSchema),
  cues: Type.Optional(CueSectionSchema),
  frames: Type.Optional(FramesSectionSchema),
  contact_sheet: Type.Optional(ContactSheetSectionSchema),
  audio: Type.Optional(AudioSectionSchema),
  transcript: Type.Optional(TranscriptSectionSchema),
  image: Type.Optional(ImageSectionSchema),
  document: Type.Optional(DocumentSectionSchema),
  /** On-screen text of a video (the image's own text is `image.ocr`). */
  ocr: Type.Optional(FrameOcrSectionSchema),
  objects: Type.Optional(ObjectsSectionSchema),
  faces: Type.Optional(FacesSectionSchema),
  /** People on screen, grouped across the tenant's library (people stage). */
  people: Type.Optional(PeopleSectionSchema),
  moderation: Type.Optional(ModerationSectionSchema),
  understanding: Type.Optional(UnderstandingSectionSchema),
  answer: Type.Optional(AnswerSectionSchema),
  outputs: Type.Optional(OutputsSectionSchema),
  summary: Type.Optional(Type.String({ description: 'The human-readable summary (the answer, or the local facts)' })),
};

export const AnalysisSectionsSchema = Type.Object(sections);
export type AnalysisSections = Static<typeof AnalysisSectionsSchema>;
export type SectionName = keyof AnalysisSections;

export const StageTimingSchema = Type.Object(
  { stage: Type.String(), ms: Type.Number() },
  { $id: 'StageTiming', description: 'How long a stage that ran took' },
);
export type StageTiming = Static<typeof StageTimingSchema>;

export const FailedStageSchema = Type.Object(
  { stage: Type.String(), error_code: Type.String(), error_message: Type.String() },
  { $id: 'FailedStage', description: 'An optional stage that failed without failing the analysis' },
);
export type FailedStage = Static<typeof FailedStageSchema>;

/** The stored `results` of a completed analysis: the sections, and how the run went. */
export const AnalysisResultsSchema = Type.Object(
  {
    ...sections,
    stages: Type.Optional(Type.Array(StageTimingSchema)),
    partial: Type.Optional(
      Type.Boolean({ description: 'true: an optional stage failed and its sections are missing' }),
    ),
    failed_stages: Type.Optional(Type.Array(FailedStageSchema)),
    reused_from: Type.Optional(
      Type.String({ format: 'uuid', description: 'The identical analysis whose results these are (options.reuse)' }),
    ),
    reused_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  {
    $id: 'AnalysisResults',
    description: 'Every section the stages produced; a section is absent when its stage did not apply or failed',
  },
);
export type AnalysisResults = Static<typeof AnalysisResultsSchema>;
