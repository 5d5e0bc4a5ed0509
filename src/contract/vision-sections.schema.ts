/**
 * Result sections of what an analysis sees without a provider: `shots`, `cues`,
 * `objects`, `faces`, `moderation`. Times are seconds from the start of the video; an
 * image is one picture at time 0 with no shots; a PDF's embedded pictures are at time 0
 * with their `page` (faces only).
 *
 * Vocabulary: a *shot* is a stretch between two cuts; a *keyframe* here is the frame
 * chosen to represent a shot (the sharpest, least dark one), not a codec keyframe; a
 * *cue* is a black or frozen stretch.
 */
import { Type, type Static } from 'typebox';
import { BoxSchema, Nullable, SectionErrorSchema, SectionStatusSchema, SpanSchema } from './common.schema.ts';

const Seconds = Type.Number({ description: 'Seconds from the start of the media' });
/** The shot a picture belongs to; null on an image or without shots. */
const ShotIndex = Nullable(Type.Integer());

export const ShotSectionSchema = Type.Object(
  {
    status: SectionStatusSchema,
    error: Type.Optional(SectionErrorSchema),
    count: Type.Integer(),
    items: Type.Array(
      Type.Object({
        index: Type.Integer(),
        start: Type.Number(),
        end: Type.Number(),
        cut_score: Type.Number({
          description: "How different the shot's first picture is from the previous shot's last (scdet score, 0-100)",
        }),
        keyframe_seconds: Type.Number(),
        scene: Type.Optional(
          Type.Integer({
            description: 'The scene the shot shows: shots with the same number look alike (absent before scenes)',
          }),
        ),
      }),
    ),
    scenes: Type.Optional(Type.Integer({ description: 'How many distinct scenes the shots show' })),
    threshold: Type.Number({ description: 'Cut detector threshold used' }),
    pass_ms: Type.Number({ description: 'Time of the one decoding pass' }),
  },
  { $id: 'ShotSection', description: 'Video: the shots between cuts' },
);
export type ShotSection = Static<typeof ShotSectionSchema>;

export const CueSectionSchema = Type.Object(
  { status: SectionStatusSchema, black: Type.Array(SpanSchema), frozen: Type.Array(SpanSchema) },
  { $id: 'CueSection', description: 'Video: black and frozen stretches' },
);
export type CueSection = Static<typeof CueSectionSchema>;

export const LabelCountSchema = Type.Object(
  {
    label: Type.String(),
    max_count: Type.Integer({ description: 'Most seen on any one picture (3 people in one frame: 3)' }),
    seconds: Type.Array(Seconds, { description: 'Frames it appeared on' }),
    best_score: Type.Number(),
  },
  { $id: 'LabelCount', description: 'A label with how many were seen at most on one picture, and where' },
);
export type LabelCount = Static<typeof LabelCountSchema>;

export const ObjectFindingSchema = Type.Object(
  {
    label: Type.String(),
    score: Type.Number({ description: "The detector's score, 0-1" }),
    box: BoxSchema,
    from: Type.Optional(
      Type.Literal('face', {
        description:
          "Not from the object detector: a person implied by a face BlazeFace and the face mesh confirmed where the detector counted no person (score and box are the face's)",
      }),
    ),
  },
  { $id: 'ObjectFinding', description: 'One detected object: its COCO label, score and box' },
);
export type ObjectFinding = Static<typeof ObjectFindingSchema>;

export const ObjectsSectionSchema = Type.Object(
  {
    status: SectionStatusSchema,
    error: Type.Optional(SectionErrorSchema),
    model: Type.String(),
    min_score: Type.Number({ description: 'The calibrated score an object needs to count' }),
    labels: Type.Array(LabelCountSchema, {
      description: 'Over the whole video or image, most frequent first (at or above min_score only)',
    }),
    per_shot: Type.Array(
      Type.Object({
        shot: Type.Integer(),
        start: Type.Number(),
        end: Type.Number(),
        labels: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() })),
      }),
    ),
    frames: Type.Array(
      Type.Object({
        seconds: Seconds,
        shot: ShotIndex,
        items: Type.Array(ObjectFindingSchema, { description: 'The objects that count' }),
        below_threshold: Type.Optional(
          Type.Array(ObjectFindingSchema, {
            description: 'Candidates below min_score, for inspection only (in no summary, answer or index)',
          }),
        ),
      }),
    ),
    notes: Type.Array(Type.String()),
  },
  { $id: 'ObjectsSection', description: 'COCO objects on the video keyframes or the image' },
);
export type ObjectsSection = Static<typeof ObjectsSectionSchema>;

export const FaceFindingSchema = Type.Object(
  {
    score: Type.Number({ description: "BlazeFace's box score" }),
    mesh_score: Nullable(Type.Number({ description: "The face mesh's score for the same crop" })),
    box: BoxSchema,
    px: Type.Number({ description: "The face's height in the detector's pixels" }),
  },
  { $id: 'FaceFinding', description: "One face candidate: both models' scores and its box" },
);
export type FaceFinding = Static<typeof FaceFindingSchema>;

export const FacesSectionSchema = Type.Object(
  {
    status: SectionStatusSchema,
    error: Type.Optional(SectionErrorSchema),
    model: Type.String(),
    thresholds: Type.Optional(Type.Object({ min_score: Type.Number(), min_mesh_score: Type.Number() })),
    max_count: Type.Integer({ description: 'Most faces on any one picture' }),
    per_shot: Type.Array(
      Type.Object({ shot: Type.Integer(), start: Type.Number(), end: Type.Number(), count: Type.Integer() }),
    ),
    frames: Type.Array(
      Type.Object({
        seconds: Seconds,
        shot: ShotIndex,
        page: Type.Optional(
          Type.Integer({ minimum: 1, description: 'A document: the page the picture is on (its embedded image)' }),
        ),
        count: Type.Integer(),
        boxes: Type.Array(BoxSchema, { description: 'The boxes of the faces that count' }),
        items: Type.Optional(Type.Array(FaceFindingSchema)),
        below_threshold: Type.Optional(Type.Array(FaceFindingSchema, { description: 'For inspection only' })),
      }),
    ),
    notes: Type.Array(Type.String()),
  },
  {
    $id: 'FacesSection',
    description:
      "Faces on the video keyframes, the image, or a PDF's embedded pictures (counted here; recognised in `people`)",
  },
);
export type FacesSection = Static<typeof FacesSectionSchema>;

export const MODERATION_VERDICTS = ['safe', 'suggestive', 'explicit'] as const;
export type ModerationVerdict = (typeof MODERATION_VERDICTS)[number];

export const ModerationSectionSchema = Type.Object(
  {
    status: SectionStatusSchema,
    error: Type.Optional(SectionErrorSchema),
    model: Type.String(),
    verdict: Type.Enum([...MODERATION_VERDICTS]),
    basis: Type.Optional(Type.String({ description: 'What the verdict rests on, in words' })),
    strongest: Nullable(
      Type.Object(
        { seconds: Seconds, class: Type.String(), score: Type.Number() },
        {
          description:
            'The frame that decided a suggestive or explicit verdict, with its score; null when the verdict is safe (`basis` gives the highest scores)',
        },
      ),
    ),
    thresholds: Type.Object({
      explicit: Type.Number(),
      suggestive: Type.Number(),
      suggestive_skin: Type.Optional(Type.Number()),
    }),
    frames: Type.Array(
      Type.Object({
        seconds: Seconds,
        shot: ShotIndex,
        scores: Type.Record(Type.String(), Type.Number()),
        skin: Type.Optional(
          Nullable(
            Type.Object(
              { share: Type.Number(), region: Type.Enum(['people', 'picture']) },
              { description: "Share of the people's pixels (or the picture's) that are bare skin" },
            ),
          ),
        ),
      }),
    ),
    notes: Type.Array(Type.String()),
  },
  { $id: 'ModerationSection', description: 'A safe / suggestive / explicit verdict over the pictures' },
);
export type ModerationSection = Static<typeof ModerationSectionSchema>;

export const PeopleSectionSchema = Type.Object(
  {
    model: Type.String({ description: 'The face description model' }),
    same_person_similarity: Type.Number({
      description: 'The calibrated similarity from which two faces are one person',
    }),
    described: Type.Integer({ description: 'Faces that passed the detection thresholds and were described' }),
    gated: Type.Object(
      { small: Type.Integer(), turned: Type.Integer(), blurred: Type.Integer() },
      { description: 'Faces the quality gate left out, by reason' },
    ),
    appearances: Type.Array(
      Type.Object({
        person_id: Type.String(),
        face_id: Type.String(),
        start_seconds: Nullable(Type.Number()),
        end_seconds: Nullable(Type.Number()),
        page: Type.Optional(Type.Integer({ minimum: 1, description: 'A document: the page of the picture' })),
        shot: ShotIndex,
        frames: Type.Integer(),
        box: BoxSchema,
        matched: Type.Boolean({ description: 'Joined an existing person (false: a new person was started)' }),
        similarity: Nullable(Type.Number()),
        thumbnail_artifact_id: Nullable(Type.String()),
      }),
    ),
    people: Type.Integer({ description: 'Distinct people among the appearances' }),
  },
  {
    $id: 'PeopleSection',
    description: "People on screen, grouped into the tenant's people (no description vectors)",
  },
);
export type PeopleSection = Static<typeof PeopleSectionSchema>;
