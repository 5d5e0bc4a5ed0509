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

export interface ObjectsSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  min_score: number;
  /** Over the whole video/image, most frequent first. */
  labels: LabelCount[];
  /** Per shot (video): what its frames showed. */
  per_shot: Array<{ shot: number; start: number; end: number; labels: Array<{ label: string; count: number }> }>;
  /** Per analysed picture: every detection (box = [x, y, w, h] as fractions of the picture). */
  frames: Array<{
    seconds: number;
    shot: number | null;
    items: Array<{ label: string; score: number; box: number[] }>;
  }>;
  notes: string[];
}

export interface FacesSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  /** Most faces on any one picture. */
  max_count: number;
  per_shot: Array<{ shot: number; start: number; end: number; count: number }>;
  frames: Array<{ seconds: number; shot: number | null; count: number; boxes: number[][] }>;
  notes: string[];
}

export const MODERATION_VERDICTS = ['safe', 'suggestive', 'explicit'] as const;
export type ModerationVerdict = (typeof MODERATION_VERDICTS)[number];

export interface ModerationSection {
  status: SectionStatus;
  error?: SectionError;
  model: string;
  verdict: ModerationVerdict;
  /** The frame with the strongest explicit (or, failing that, suggestive) score. */
  strongest: { seconds: number; class: string; score: number } | null;
  thresholds: { explicit: number; suggestive: number };
  frames: Array<{ seconds: number; shot: number | null; scores: Record<string, number> }>;
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
