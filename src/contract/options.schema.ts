/**
 * The request `options` of an analysis: which stages run and how. Declared once: the
 * HTTP schema validates a request with it (unknown keys are refused), the domain and the
 * stages read the stored options through its type, and the SDK's type is generated from it.
 * Every option is optional; a stage applies its default when one is absent.
 */
import { Type, type Static } from 'typebox';

/** A vision capability's switch: absent means the server's setting (VISION_SHOTS, VISION_OBJECTS, …). */
const VisionSwitch = (what: string) =>
  Type.Optional(Type.Boolean({ description: `${what}; absent: the server's setting` }));

export const AnalysisOptionsSchema = Type.Object(
  {
    extract_frames: Type.Optional(Type.Boolean({ description: 'Video: keep the extracted frames (default true)' })),
    frame_count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Video: exactly this many frames' }),
    ),
    generate_contact_sheet: Type.Optional(Type.Boolean({ description: 'Video: a contact sheet (default true)' })),
    transcribe_audio: Type.Optional(Type.Boolean({ description: 'Transcribe the speech (default true)' })),
    ocr: Type.Optional(
      Type.Boolean({ description: 'Read text: on video frames when true; images and scanned pages unless false' }),
    ),
    analyze_audio: Type.Optional(Type.Boolean({ description: 'Loudness, silences and speech (default true)' })),
    keep_gps: Type.Optional(Type.Boolean({ description: 'Image: keep the EXIF GPS position (default false)' })),
    contact_sheet_grid: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]?x[1-9][0-9]?$', description: 'rows x columns, e.g. 2x3' }),
    ),
    reuse: Type.Optional(
      Type.Boolean({ description: 'Reuse the results of an identical recent analysis of the same tenant' }),
    ),
    shots: VisionSwitch('Video: shots, scenes and cues'),
    objects: VisionSwitch('Objects on the pictures'),
    faces: VisionSwitch('Faces on the pictures'),
    moderation: VisionSwitch('A moderation verdict'),
  },
  { $id: 'AnalysisOptions', additionalProperties: false },
);
export type AnalysisOptions = Static<typeof AnalysisOptionsSchema>;
