/**
 * The analysis `results`, one TypeScript type per section, declared once. A stage
 * names the sections it needs and produces (see `stage.ts`); the runner and later
 * stages read them through these types, never through `any`.
 *
 * Adding a stage: add its section type here, one optional key in `AnalysisSections`,
 * and the stage to `DEFAULT_STAGES` in `pipeline.ts`.
 */
import type { MediaType } from '../contract/analysis.types.ts';
import type { ProbeStream } from '../media/ffprobe.ts';
import type { ImageProbe } from '../media/image-probe.ts';
import type { DocumentProbe } from '../media/document-probe.ts';
import type { ExifSummary } from '../media/image-analysis.ts';
import type { OcrResult } from '../media/ocr.ts';
import type { Loudness, Segment } from '../media/ffmpeg.ts';
import type { Extract } from '../providers/extractive-summary.ts';
import type { TranscriptSegment } from '../providers/provider.types.ts';
import type {
  CueSection,
  FacesSection,
  ModerationSection,
  ObjectsSection,
  ShotSection,
} from '../domain/analysis/vision.sections.ts';

export type { CueSection, FacesSection, ModerationSection, ObjectsSection, ShotSection };

export interface IntakeSection {
  kind: 'upload' | 'url';
  original_filename?: string | null;
  source_url?: string;
  final_url?: string;
  redirects?: number;
  size_bytes: number;
  sha256: string | null;
  mime: string;
  detected_type: MediaType;
}

export interface AvProbeSection {
  kind: 'video' | 'audio';
  format: string | null;
  duration_seconds: number | null;
  bit_rate: number | null;
  streams: ProbeStream[];
}
export type ImageProbeSection = { kind: 'image' } & Omit<ImageProbe, 'exif'>;
export type DocumentProbeSection = { kind: 'document' } & DocumentProbe;
export type ProbeSection = AvProbeSection | ImageProbeSection | DocumentProbeSection;

export interface FramesSection {
  count: number;
  requested: number;
  method: string;
  stored: boolean;
  extraction_ms: number;
  items: Array<{ seconds: number; shot?: number | null; path: string }>;
  /** Frames that did not decode, and other remarks. */
  notes?: string[];
}

export interface ContactSheetSection {
  path: string;
  grid: string;
  resolution: string;
  frames: number[];
  size_bytes: number;
  compose_ms: number;
}

export interface AudioSection {
  duration_seconds: number;
  loudness: Loudness;
  silences: Segment[];
  speech_segments: Segment[];
  speech_seconds: number;
  speech_detector?: string;
  waveform: string;
  prepared_for_transcription: { path: string; sample_rate: number; channels: number; size_bytes: number };
}

export interface TranscriptSection {
  provider: string;
  model: string;
  language: string | null;
  text: string;
  segments: TranscriptSegment[];
  chunks: number;
  cost_usd: number | null;
  latency_ms: number;
  /** Local engine only (src/pipeline/stages/local-speech.ts). */
  engine?: string;
  words?: Array<{ word: string; start: number; end: number; confidence: number; low_confidence?: true }>;
  seconds_transcribed?: number;
  truncated?: boolean;
  /** Mean of this transcript's word posteriors (null without words): computed on this media. */
  mean_word_confidence?: number | null;
  /** Words below `low_confidence_below` (SPEECH_CALIBRATION.lowWordConfidence), marked `low_confidence`. */
  low_confidence_words?: number;
  low_confidence_below?: number;
  note?: string;
  error?: { code: string; message: string };
}

export interface ImageSection {
  width: number;
  height: number;
  format: string | null;
  exif: ExifSummary | null;
  dominant_colours: unknown[];
  thumbnail: string;
  ocr?: OcrResult & { ms: number };
}

export interface DocumentSection {
  format: string;
  pages: number | null;
  title: string | null;
  language: string | null;
  characters: number;
  ocr_pages: number;
  text_preview: string;
  truncated: boolean;
  text_path: string;
  page_texts: Array<{ page: number; characters: number; source: string; ocr_confidence?: number }> | null;
}

/** A line of on-screen text, once however many frames showed it. */
export interface FrameOcrLine {
  text: string;
  /** Every frame time (s) it was read on. */
  seconds: number[];
  /** Its best confidence over those frames, 0–1. */
  confidence: number;
}

export interface FrameOcrSection {
  engine: string;
  frames: number;
  /** Lines that passed the calibrated thresholds: the only ones summarised, quoted and indexed. */
  lines: FrameOcrLine[];
  text: string;
  /** Read below the thresholds; for inspection only. */
  rejected: FrameOcrLine[];
}

export interface AnswerSection {
  provider: string | null;
  model: string | null;
  text: string | null;
  note?: string;
  extractive?: Extract;
  json?: unknown;
  finish_reason?: string | null;
  usage?: { input_tokens: number; output_tokens: number; reported: boolean };
  cost_usd?: number | null;
  latency_ms?: number;
  images_sent?: string[];
  notes?: string[];
  /** Without a model: false, and the quotes and facts the answer was extracted from. */
  generated?: boolean;
  quotes?: unknown[];
  facts?: Record<string, unknown>;
}

/** Language, entities, keywords, chapters and the searchable segments (understanding stage). */
export interface UnderstandingSection {
  language?: string | null;
  entities?: { people: string[]; places: string[]; organizations: string[]; dates: string[]; money: string[] };
  keywords?: string[];
  characters?: number;
  truncated?: boolean;
  chapters?: Array<{ start: number; end: number; title: string }>;
  segments?: { stored: number; by_kind: Record<string, number>; not_indexed: number };
  ms?: number;
  error?: { code: string; message: string };
}

/** People on screen (people stage): appearances grouped into the tenant's people; no description vectors. */
export interface PeopleSection {
  /** The description model and the same-person similarity the grouping used. */
  model: string;
  same_person_similarity: number;
  /** Faces that passed the detection thresholds and were described. */
  described: number;
  /** Faces the quality gate left out, by reason. */
  gated: { small: number; turned: number; blurred: number };
  appearances: Array<{
    person_id: string;
    face_id: string;
    start_seconds: number | null;
    end_seconds: number | null;
    shot: number | null;
    frames: number;
    box: number[];
    /** Joined an existing person (false: a new person was started). */
    matched: boolean;
    similarity: number | null;
    thumbnail_artifact_id: string | null;
  }>;
  people: number;
}

export interface OutputsSection {
  result_json: string;
  summary_txt: string;
}

/** Every section a stage can produce, by name. A stage's `needs`/`produces` name these keys. */
export interface AnalysisSections {
  intake?: IntakeSection;
  probe?: ProbeSection;
  /** Video: shots between cuts (see vision.sections.ts). */
  shots?: ShotSection;
  /** Video: black and frozen stretches. */
  cues?: CueSection;
  frames?: FramesSection;
  contact_sheet?: ContactSheetSection;
  audio?: AudioSection;
  transcript?: TranscriptSection;
  image?: ImageSection;
  document?: DocumentSection;
  ocr?: FrameOcrSection;
  /** Vision (video keyframes or the image): COCO objects, faces, moderation scores. */
  objects?: ObjectsSection;
  /** People on screen, grouped across the tenant's library (people stage). */
  people?: PeopleSection;
  faces?: FacesSection;
  moderation?: ModerationSection;
  understanding?: UnderstandingSection;
  answer?: AnswerSection;
  outputs?: OutputsSection;
  /** The human-readable summary (the answer, or the local facts). */
  summary?: string;
}

export type SectionName = keyof AnalysisSections;

/** How long each stage that ran took (kept in results for compatibility with earlier clients). */
export interface StageTiming {
  stage: string;
  ms: number;
}

/** A stage that failed without failing the analysis. */
export interface FailedStage {
  stage: string;
  error_code: string;
  error_message: string;
}

/** The stored `results` of a completed analysis. */
export interface AnalysisResults extends AnalysisSections {
  stages?: StageTiming[];
  /** True when an optional stage failed and its sections are missing. */
  partial?: boolean;
  failed_stages?: FailedStage[];
  reused_from?: string;
  reused_at?: string;
}
