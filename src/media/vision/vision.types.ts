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

/** One face (no identity, no attributes). */
export interface DetectedFace {
  score: number;
  box: Box;
}

/** nsfwjs's five classes, each a probability; they sum to about 1. */
export const MODERATION_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ModerationClass = (typeof MODERATION_CLASSES)[number];
export type ModerationScores = Record<ModerationClass, number>;

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
  /** Milliseconds spent per capability. */
  ms: Partial<Record<VisionTask | 'decode', number>>;
}

export function isTaskError(v: unknown): v is { error: VisionTaskError } {
  return typeof v === 'object' && v !== null && 'error' in v;
}
