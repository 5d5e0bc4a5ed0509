/**
 * Result sections of what an analysis sees without a provider: `shots`, `cues`,
 * `objects`, `faces`, `moderation`. One type per section, declared once; stages write
 * them into `results`, the summary and the prompt read them, and later features (search
 * segments) build on them. Times are seconds from the start of the video; an image is
 * one picture at time 0 with no shots.
 *
 * Vocabulary: a *shot* is a stretch between two cuts; a *keyframe* here is the frame
 * chosen to represent a shot (the sharpest, least dark one), not a codec keyframe; a
 * *cue* is a black or frozen stretch.
 */

/** How a section's stage ended. `failed` carries the error code; the rest of the analysis goes on. */
export type SectionStatus = 'completed' | 'failed' | 'skipped';

export interface SectionError {
  code: string;
  message: string;
}

export interface ShotSection {
  status: SectionStatus;
  error?: SectionError;
  count: number;
  items: Array<{
    index: number;
    start: number;
    end: number;
    /** How different the shot's first picture is from the previous shot's last (scdet score, 0-100). */
    cut_score: number;
    keyframe_seconds: number;
    /** The scene the shot shows: shots with the same number look alike (absent in analyses from before scenes). */
    scene?: number;
  }>;
  /** How many distinct scenes the shots show (absent in analyses from before scenes). */
  scenes?: number;
  /** Cut detector threshold used, and the time of the one decoding pass. */
  threshold: number;
  pass_ms: number;
}

export interface CueSection {
  status: SectionStatus;
  black: Array<{ start: number; end: number }>;
  frozen: Array<{ start: number; end: number }>;
}

/** A label with how many were seen at most on one picture, and where. */
export interface LabelCount {
  label: string;
  /** Most seen on any one picture (3 people in one frame → 3). */
  max_count: number;
  /** Frames it appeared on, as seconds. */
  seconds: number[];
  best_score: number;
}

/** One detected object: its COCO label, the detector's score (0..1) and its box. */
export interface ObjectFinding {
  label: string;
  score: number;
  /** [x, y, w, h] as fractions of the picture. */
  box: number[];
}

export interface ObjectsSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  /** The calibrated score an object needs to count (VISION_CALIBRATION.objectsMinScore). */
  min_score: number;
  /** Over the whole video/image, most frequent first (objects at or above min_score only). */
  labels: LabelCount[];
  /** Per shot (video): what its frames showed (at or above min_score). */
  per_shot: Array<{ shot: number; start: number; end: number; labels: Array<{ label: string; count: number }> }>;
  /**
   * Per analysed picture: the objects that count (`items`), and the detector's candidates
   * below min_score (`below_threshold`), kept for inspection only: they are in no summary,
   * answer or search index.
   */
  frames: Array<{
    seconds: number;
    shot: number | null;
    items: ObjectFinding[];
    /** Absent in results written before the calibration. */
    below_threshold?: ObjectFinding[];
  }>;
  notes: string[];
}

/** One face candidate: both models' scores, its box, its height in the detector's pixels. */
export interface FaceFinding {
  /** BlazeFace's box score. */
  score: number;
  /** The face mesh's score for the same crop (the second opinion). */
  mesh_score: number | null;
  box: number[];
  px: number;
}

export interface FacesSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  /** What a candidate needs to count as a face (VISION_CALIBRATION; absent in older results). */
  thresholds?: { min_score: number; min_mesh_score: number };
  /** Most faces on any one picture. */
  max_count: number;
  per_shot: Array<{ shot: number; start: number; end: number; count: number }>;
  /**
   * Per analysed picture: the faces that count (`items`; `boxes` are theirs, for viewers),
   * and the candidates that did not (`below_threshold`, for inspection only).
   */
  frames: Array<{
    seconds: number;
    shot: number | null;
    count: number;
    boxes: number[][];
    /** Absent in results written before the calibration. */
    items?: FaceFinding[];
    below_threshold?: FaceFinding[];
  }>;
  notes: string[];
}

export const MODERATION_VERDICTS = ['safe', 'suggestive', 'explicit'] as const;
export type ModerationVerdict = (typeof MODERATION_VERDICTS)[number];

export interface ModerationSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  verdict: ModerationVerdict;
  /** What the verdict rests on, in words (the scores and the bare-skin share compared; absent in older results). */
  basis?: string;
  /** The frame with the strongest explicit (or, failing that, suggestive) score. */
  strongest: { seconds: number; class: string; score: number } | null;
  /** explicit and suggestive: nsfwjs scores (config); suggestive_skin: bare-skin share (calibrated). */
  thresholds: { explicit: number; suggestive: number; suggestive_skin?: number };
  frames: Array<{
    seconds: number;
    shot: number | null;
    scores: Record<string, number>;
    /** Share of the people's pixels (or the picture's) that are bare skin; null on a grey picture. */
    skin?: { share: number; region: 'people' | 'picture' } | null;
  }>;
  notes: string[];
}

/** The sections this feature adds to `results`, by key. */
export interface VisionResults {
  shots?: ShotSection;
  cues?: CueSection;
  objects?: ObjectsSection;
  faces?: FacesSection;
  moderation?: ModerationSection;
}
