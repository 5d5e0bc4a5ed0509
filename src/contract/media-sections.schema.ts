/**
 * Result sections about the file itself: `intake`, `probe`, `frames`, `contact_sheet`,
 * `audio`, `image` and `document`. Paths are inside the storage root; the artifact list
 * (`GET /api/media/{id}/artifacts`) names the same files by their last segment.
 */
import { Type, type Static } from 'typebox';
import { MediaTypeSchema, Nullable, SpanSchema } from './common.schema.ts';

export const IntakeSectionSchema = Type.Object(
  {
    kind: Type.Enum(['upload', 'url']),
    original_filename: Type.Optional(Nullable(Type.String())),
    source_url: Type.Optional(Type.String()),
    final_url: Type.Optional(Type.String({ description: 'Where the download ended after redirects' })),
    redirects: Type.Optional(Type.Integer()),
    size_bytes: Type.Integer(),
    sha256: Nullable(Type.String()),
    mime: Type.String({ description: 'Detected from the bytes, not from the name or the header' }),
    detected_type: MediaTypeSchema,
  },
  { $id: 'IntakeSection', description: 'How the media came in: its size, checksum and detected type' },
);
export type IntakeSection = Static<typeof IntakeSectionSchema>;

export const ProbeStreamSchema = Type.Object(
  {
    index: Type.Integer(),
    type: Type.Enum(['video', 'audio', 'subtitle', 'data', 'attachment', 'unknown']),
    codec: Nullable(Type.String()),
    width: Type.Optional(Type.Integer()),
    height: Type.Optional(Type.Integer()),
    fps: Type.Optional(Nullable(Type.Number())),
    sampleRate: Type.Optional(Type.Integer()),
    channels: Type.Optional(Type.Integer()),
    durationSeconds: Type.Optional(Nullable(Type.Number())),
  },
  { $id: 'ProbeStream' },
);

export const AvProbeSectionSchema = Type.Object(
  {
    kind: Type.Enum(['video', 'audio']),
    format: Nullable(Type.String()),
    duration_seconds: Nullable(Type.Number()),
    bit_rate: Nullable(Type.Number()),
    streams: Type.Array(ProbeStreamSchema),
  },
  { $id: 'AvProbeSection', description: 'ffprobe on audio and video' },
);
export const ImageProbeSectionSchema = Type.Object(
  {
    kind: Type.Literal('image'),
    format: Nullable(Type.String()),
    width: Type.Integer(),
    height: Type.Integer(),
    channels: Nullable(Type.Integer()),
    hasAlpha: Type.Boolean(),
    orientation: Nullable(Type.Integer()),
    pages: Nullable(Type.Integer()),
  },
  { $id: 'ImageProbeSection' },
);
export const DocumentProbeSectionSchema = Type.Object(
  {
    kind: Type.Literal('document'),
    format: Type.String(),
    pages: Nullable(Type.Integer()),
    title: Nullable(Type.String()),
    characters: Type.Optional(Type.Integer({ description: 'Text files' })),
    lines: Type.Optional(Type.Integer({ description: 'Text files' })),
  },
  { $id: 'DocumentProbeSection' },
);
export const ProbeSectionSchema = Type.Union(
  [AvProbeSectionSchema, ImageProbeSectionSchema, DocumentProbeSectionSchema],
  { $id: 'ProbeSection', description: 'What the file is, by `kind`' },
);

export const FramesSectionSchema = Type.Object(
  {
    count: Type.Integer(),
    requested: Type.Integer(),
    method: Type.String(),
    stored: Type.Boolean({ description: 'false: kept in temp/ for the contact sheet only' }),
    extraction_ms: Type.Number(),
    items: Type.Array(
      Type.Object({
        seconds: Type.Number(),
        shot: Type.Optional(Nullable(Type.Integer({ description: 'The shot the frame was picked for' }))),
        path: Type.String(),
      }),
    ),
    notes: Type.Optional(Type.Array(Type.String(), { description: 'Frames that did not decode, and other remarks' })),
  },
  { $id: 'FramesSection', description: 'Video: the stills taken (per shot when shots ran)' },
);
export type FramesSection = Static<typeof FramesSectionSchema>;

export const ContactSheetSectionSchema = Type.Object(
  {
    path: Type.String(),
    grid: Type.String({ description: 'rows x columns' }),
    resolution: Type.String(),
    frames: Type.Array(Type.Number(), { description: 'The time of each tile, in seconds' }),
    size_bytes: Type.Integer(),
    compose_ms: Type.Number(),
  },
  { $id: 'ContactSheetSection' },
);

export const AudioSectionSchema = Type.Object(
  {
    duration_seconds: Type.Number(),
    loudness: Type.Object({
      integrated_lufs: Nullable(Type.Number()),
      loudness_range_lu: Nullable(Type.Number()),
      true_peak_dbfs: Nullable(Type.Number()),
    }),
    silences: Type.Array(SpanSchema),
    speech_segments: Type.Array(SpanSchema, { description: 'Where the voice-activity detector hears a voice' }),
    speech_seconds: Type.Number(),
    speech_detector: Type.Optional(Type.String()),
    waveform: Type.String({ description: 'Path of the waveform image' }),
    prepared_for_transcription: Type.Object({
      path: Type.String(),
      sample_rate: Type.Integer(),
      channels: Type.Integer(),
      size_bytes: Type.Integer(),
    }),
  },
  { $id: 'AudioSection', description: 'Loudness (EBU R128), silences and speech of the audio track' },
);
export type AudioSection = Static<typeof AudioSectionSchema>;

/** A line of text read on a picture, with its confidence (0-1). */
export const OcrLineSchema = Type.Object({ text: Type.String(), confidence: Type.Number() }, { $id: 'OcrLine' });

export const ImageSectionSchema = Type.Object(
  {
    width: Type.Integer(),
    height: Type.Integer(),
    format: Nullable(Type.String()),
    exif: Nullable(
      Type.Object({
        orientation: Nullable(Type.Integer()),
        make: Nullable(Type.String()),
        model: Nullable(Type.String()),
        taken_at: Nullable(Type.String()),
        software: Nullable(Type.String()),
        gps: Type.Optional(
          Nullable(
            Type.Object(
              { latitude: Nullable(Type.Number()), longitude: Nullable(Type.Number()) },
              { description: 'Only with options.keep_gps' },
            ),
          ),
        ),
        has_gps: Type.Boolean(),
      }),
    ),
    dominant_colours: Type.Array(Type.Object({ hex: Type.String(), share: Type.Number() })),
    thumbnail: Type.String({ description: 'Path of the thumbnail' }),
    ocr: Type.Optional(
      Type.Object({
        engine: Type.String(),
        text: Type.String({ description: 'The accepted lines, one per line; empty when nothing passed' }),
        confidence: Type.Number({ description: 'Mean confidence of the accepted words, 0-1' }),
        words: Type.Integer({ description: 'Accepted words' }),
        lines: Type.Array(OcrLineSchema),
        rejected: Type.Array(OcrLineSchema, { description: 'Read but below a threshold: for inspection only' }),
        ms: Type.Number(),
      }),
    ),
  },
  { $id: 'ImageSection', description: 'An image: EXIF, dominant colours, a thumbnail and its text' },
);
export type ImageSection = Static<typeof ImageSectionSchema>;

export const DocumentSectionSchema = Type.Object(
  {
    format: Type.String(),
    pages: Nullable(Type.Integer()),
    title: Nullable(Type.String()),
    language: Nullable(Type.String()),
    characters: Type.Integer(),
    ocr_pages: Type.Integer({ description: 'Pages read by OCR (scanned pages)' }),
    ocr_skipped_pages: Type.Optional(
      Type.Integer({ description: 'Pages without text that were not OCR-read (over the limit, or too large)' }),
    ),
    text_preview: Type.String(),
    truncated: Type.Boolean({ description: 'true: the preview is not the whole text (see text_path)' }),
    text_path: Type.String({ description: 'Path of the whole text (document.txt)' }),
    page_texts: Nullable(
      Type.Array(
        Type.Object({
          page: Type.Integer(),
          characters: Type.Integer(),
          source: Type.Enum(['text', 'ocr', 'none']),
          ocr_confidence: Type.Optional(Type.Number()),
        }),
      ),
    ),
  },
  { $id: 'DocumentSection', description: 'A document: its text (a preview here), pages, title and language' },
);
