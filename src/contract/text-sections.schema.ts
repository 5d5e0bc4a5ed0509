/**
 * Result sections about what was said and read, and the answer: `transcript`, `ocr`
 * (on-screen text of a video), `understanding` (language, entities, keywords, chapters,
 * searchable segments) and `answer`.
 */
import { Type, type Static } from 'typebox';
import { Nullable, SectionErrorSchema } from './common.schema.ts';

export const TranscriptSegmentSchema = Type.Object(
  { start: Type.Number(), end: Type.Number(), text: Type.String() },
  { $id: 'TranscriptSegment', description: 'A stretch of speech and its text, in seconds' },
);
export type TranscriptSegment = Static<typeof TranscriptSegmentSchema>;

export const TranscriptWordSchema = Type.Object(
  {
    word: Type.String(),
    start: Type.Number(),
    end: Type.Number(),
    confidence: Type.Number({ description: "Posterior probability of the word in the engine's lattice, 0-1" }),
    low_confidence: Type.Optional(
      Type.Literal(true, {
        description:
          'Below low_confidence_below: not matched by search, no keyword or name; shown marked [like this?] where the answer quotes it',
      }),
    ),
  },
  { $id: 'TranscriptWord', description: 'One recognised word with its times (local engine)' },
);
export type TranscriptWord = Static<typeof TranscriptWordSchema>;

export const TranscriptSectionSchema = Type.Object(
  {
    provider: Type.String({ description: 'The transcription provider, or `local`' }),
    model: Type.String(),
    language: Nullable(Type.String()),
    text: Type.String(),
    segments: Type.Array(TranscriptSegmentSchema),
    chunks: Type.Integer(),
    cost_usd: Nullable(Type.Number()),
    latency_ms: Type.Number(),
    engine: Type.Optional(Type.String({ description: 'Local engine only' })),
    words: Type.Optional(
      Type.Array(TranscriptWordSchema, { description: 'Local engine only: every word with its times' }),
    ),
    seconds_transcribed: Type.Optional(
      Type.Number({
        description:
          'Seconds of the media within the transcription limit (LOCAL_SPEECH_MAX_SECONDS); of those, only what the voice-activity detector calls speech is decoded (`audio.speech_seconds`)',
      }),
    ),
    truncated: Type.Optional(Type.Boolean()),
    mean_word_confidence: Type.Optional(
      Nullable(Type.Number({ description: "Mean of this transcript's word posteriors (null without words)" })),
    ),
    low_confidence_words: Type.Optional(Type.Integer()),
    low_confidence_below: Type.Optional(Type.Number()),
    note: Type.Optional(Type.String()),
    error: Type.Optional(SectionErrorSchema),
  },
  { $id: 'TranscriptSection', description: 'What was said: a provider transcript or the local draft with word times' },
);

export const FrameOcrLineSchema = Type.Object(
  {
    text: Type.String(),
    seconds: Type.Array(Type.Number(), { description: 'Every frame time it was read on' }),
    confidence: Type.Number({ description: 'Its best confidence over those frames, 0-1' }),
  },
  { $id: 'FrameOcrLine', description: 'A line of on-screen text, once however many frames showed it' },
);
export type FrameOcrLine = Static<typeof FrameOcrLineSchema>;

export const FrameOcrSectionSchema = Type.Object(
  {
    engine: Type.String(),
    frames: Type.Integer(),
    lines: Type.Array(FrameOcrLineSchema, {
      description: 'Lines that passed the calibrated thresholds: the only ones summarised, quoted and indexed',
    }),
    text: Type.String(),
    rejected: Type.Array(FrameOcrLineSchema, { description: 'Read below the thresholds; for inspection only' }),
  },
  { $id: 'FrameOcrSection', description: 'Video: on-screen text read on the frames (options.ocr)' },
);

export const EntitiesSchema = Type.Object(
  {
    people: Type.Array(Type.String()),
    places: Type.Array(Type.String()),
    organizations: Type.Array(Type.String()),
    dates: Type.Array(Type.String()),
    money: Type.Array(Type.String()),
  },
  { $id: 'Entities', description: 'Names found in what was heard and read' },
);

export const ChapterSchema = Type.Object(
  { start: Type.Number(), end: Type.Number(), title: Type.String() },
  { $id: 'Chapter', description: 'A chapter of long media, cut at a pause in speech, titled by its keywords' },
);

export const UnderstandingSectionSchema = Type.Object(
  {
    language: Type.Optional(Nullable(Type.String({ description: 'ISO 639-1' }))),
    entities: Type.Optional(EntitiesSchema),
    keywords: Type.Optional(Type.Array(Type.String())),
    characters: Type.Optional(Type.Integer()),
    truncated: Type.Optional(Type.Boolean()),
    chapters: Type.Optional(Type.Array(ChapterSchema, { description: 'Media of 2 minutes or more' })),
    segments: Type.Optional(
      Type.Object({
        stored: Type.Integer(),
        by_kind: Type.Record(Type.String(), Type.Integer()),
        not_indexed: Type.Integer(),
      }),
    ),
    ms: Type.Optional(Type.Number()),
    error: Type.Optional(SectionErrorSchema),
  },
  {
    $id: 'UnderstandingSection',
    description: 'Language, entities, keywords and chapters of what was heard and read; the searchable segments',
  },
);

export const AnswerQuoteSchema = Type.Object(
  {
    text: Type.String({
      description:
        'The passage; in a local transcript the words heard below the calibrated confidence are marked [like this?]',
    }),
    kind: Type.String({ description: 'transcript, ocr, image_text, document, shot or object' }),
    start_seconds: Nullable(Type.Number()),
    end_seconds: Nullable(Type.Number()),
    page: Nullable(Type.Integer()),
    similarity: Type.Number({ description: 'To the prompt, 0-1' }),
  },
  { $id: 'AnswerQuote', description: 'A passage of the media quoted by an extracted answer, with its time or page' },
);
export type AnswerQuote = Static<typeof AnswerQuoteSchema>;

/** The facts an extracted answer adds, by what the prompt asks for. */
export const AnswerFactsSchema = Type.Object(
  {
    speech: Type.Optional(
      Type.Object({ spans: Type.Array(Type.String()), seconds: Type.Number(), note: Type.String() }),
    ),
    on_screen_text: Type.Optional(Type.Array(Type.String())),
    counts: Type.Optional(
      Type.Object({
        spoken_words: Nullable(Type.Integer()),
        people_named: Type.Integer(),
        places_named: Type.Integer(),
        organisations_named: Type.Integer(),
        pages: Nullable(Type.Integer()),
        frames: Nullable(Type.Integer()),
      }),
    ),
    entities: Type.Optional(EntitiesSchema),
    people_on_screen: Type.Optional(
      Type.Object(
        {
          named: Type.Array(Type.Object({ name: Type.String(), when: Type.Array(Type.String()) })),
          unnamed_people: Type.Integer(),
          note: Type.String(),
        },
        { description: 'Named people on screen and when (people stage), when the prompt asks who' },
      ),
    ),
  },
  { $id: 'AnswerFacts' },
);
export type AnswerFacts = Static<typeof AnswerFactsSchema>;

export const AnswerSectionSchema = Type.Object(
  {
    provider: Nullable(Type.String({ description: 'null: no model answered (extracted answer)' })),
    model: Nullable(Type.String()),
    text: Nullable(Type.String()),
    note: Type.Optional(Type.String()),
    extractive: Type.Optional(
      Type.Object(
        { sentences: Type.Array(Type.String()), terms: Type.Array(Type.String()) },
        { description: 'Key sentences and terms of the extracted text' },
      ),
    ),
    json: Type.Optional(Type.Unknown({ description: 'The JSON answer, when config.response_format asked for one' })),
    finish_reason: Type.Optional(Nullable(Type.String())),
    usage: Type.Optional(
      Type.Object({ input_tokens: Type.Integer(), output_tokens: Type.Integer(), reported: Type.Boolean() }),
    ),
    cost_usd: Type.Optional(Nullable(Type.Number())),
    latency_ms: Type.Optional(Type.Number()),
    images_sent: Type.Optional(Type.Array(Type.String())),
    notes: Type.Optional(Type.Array(Type.String())),
    generated: Type.Optional(Type.Boolean({ description: 'false: extracted from the media, not generated' })),
    quotes: Type.Optional(Type.Array(AnswerQuoteSchema)),
    facts: Type.Optional(AnswerFactsSchema),
  },
  {
    $id: 'AnswerSection',
    description: "The answer to the prompt: a model's, or without one, quotes and facts extracted from the media",
  },
);
