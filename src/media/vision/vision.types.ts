/**
 * What the on-CPU vision models report for one picture (a keyframe or an image). These
 * are the adapter's outputs; the analysis result sections built from them are in
 * `src/domain/analysis/vision.sections.ts`.
 *
 * Boxes are `[x, y, width, height]` as fractions of the picture (0..1), so they do not
 * depend on the size the picture was scaled to for the model.
 */
export type Box = [x: number, y: number, width: number, height: number];

/** One COCO object (`person`, `boat`, `car`, …) found by CenterNet. */
export interface DetectedObject {
  label: string;
  score: number;
  box: Box;
}

/**
 * One face candidate (no identity, no attributes), with both opinions on it: BlazeFace's
 * box score, and the face mesh's score for the same crop (null when the mesh did not run).
 * The adapter reports every candidate above its floor; which ones count as faces is
 * decided by the caller's calibrated thresholds.
 */
export interface DetectedFace {
  /** BlazeFace's confidence in the box. */
  score: number;
  /** The face mesh's confidence that the crop is a face (the second opinion). */
  mesh_score: number | null;
  box: Box;
  /** Height of the face in pixels of the picture the detector saw (after scaling). */
  px: number;
  /** faceres's description of the face, when the call asked for descriptions. */
  description?: FaceDescription;
}

/**
 * What faceres says about one face: its description vector (who it is, compared by cosine
 * similarity) and what the quality gate reads before a description is kept: the head's
 * pose and the sharpness of the face.
 */
export interface FaceDescription {
  /** 1024 numbers; two faces of one person point the same way. */
  vector: number[];
  /** Head turn left/right and up/down in degrees (0 facing the camera); null without a mesh pose. */
  yaw: number | null;
  pitch: number | null;
  /** Variance of the Laplacian of the face's grey pixels (low: blurred). */
  sharpness: number;
}

/**
 * How much of the people in a picture is bare skin: the share of pixels inside the
 * person boxes (or the whole picture when no person was found) that pass a skin-colour
 * test. Context for the moderation verdict; a grey picture has no measurable skin.
 */
export interface SkinShare {
  share: number;
  region: 'people' | 'picture';
}

/** nsfwjs's five classes, each a probability; they sum to about 1. */
export const MODERATION_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ModerationClass = (typeof MODERATION_CLASSES)[number];
export type ModerationScores = Record<ModerationClass, number>;

/** Per-call choices beside the tasks. */
export interface AnalyzeOptions {
  /** Describe each face candidate with faceres (for people; needs the models loaded with `describeFaces`). */
  describeFaces?: boolean;
  /**
   * With `describeFaces`: describe only the candidates these confirm (BlazeFace's score and
   * the face mesh's, as `isFace` reads them); faceres then runs on no other candidate.
   */
  describeOnly?: { minScore: number; minMeshScore: number };
}

/** The capabilities one request may ask for. */
export const VISION_TASKS = ['objects', 'faces', 'moderation'] as const;
export type VisionTask = (typeof VISION_TASKS)[number];

/** Why one capability gave nothing for a picture. Codes are in the error catalogue. */
export interface VisionTaskError {
  code: 'MODEL_LOAD_FAILED' | 'MODEL_FAILED' | 'MODEL_TIMEOUT' | 'MODEL_CRASHED' | 'FRAME_UNREADABLE';
  message: string;
}

/** The answer for one picture: each asked capability's output, or its error. */
export interface PictureVision {
  /** Size of the picture as decoded, and the size it was scaled to for the models. */
  width: number;
  height: number;
  scaled_to: { width: number; height: number } | null;
  objects?: DetectedObject[] | { error: VisionTaskError };
  faces?: DetectedFace[] | { error: VisionTaskError };
  moderation?: ModerationScores | { error: VisionTaskError };
  /** With moderation: the exposed-skin share the verdict uses as context (null: a grey picture). */
  skin?: SkinShare | null;
  /** Milliseconds spent per capability. */
  ms: Partial<Record<VisionTask | 'decode' | 'describe', number>>;
}

export function isTaskError(v: unknown): v is { error: VisionTaskError } {
  return typeof v === 'object' && v !== null && 'error' in v;
}
