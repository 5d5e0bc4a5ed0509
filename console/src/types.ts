/**
 * The shapes the console reads from the public API: the SDK's types (generated from the
 * OpenAPI document) where the schema is exact; `results`, which the schema leaves open, as
 * the viewer reads it. Result sections that other features add over time are optional:
 * the viewer shows what is there and says what is not.
 */
import type {
  AnalysisStatus as SdkAnalysisStatus,
  Artifact as SdkArtifact,
  HistoryItem as SdkHistoryItem,
  SearchQuery,
  SearchResult,
} from '../../sdk/src/index.ts';

type SdkStage = SdkAnalysisStatus['stages'][number];

/**
 * A stage as the live view tracks it: events name states the status row does not
 * (`started`) and may arrive before the full stage row does.
 */
export type StageState = Pick<SdkStage, 'name'> & Partial<Omit<SdkStage, 'name' | 'status'>> & { status: string };

/** `GET /api/media/{id}` as the SDK types it, with `results` (open in the schema) read as the viewer's shapes. */
export type AnalysisStatusBody = Omit<SdkAnalysisStatus, 'results'> & { results: Results | null };

export type HistoryItem = SdkHistoryItem;
export type Artifact = SdkArtifact;
/** One hit of `GET /api/media/search` and its quoted segments. */
export type SearchAnswer = SearchResult['data'][number];

export interface Word {
  start: number;
  end: number;
  word?: string;
  text?: string;
}
export interface Segment {
  start: number;
  end: number;
  text: string;
  words?: Word[];
  speaker?: string | number | null;
}
export interface Transcript {
  text?: string;
  language?: string | null;
  segments?: Segment[];
  words?: Word[];
}
export interface Box {
  x: number;
  y: number;
  w?: number;
  h?: number;
  width?: number;
  height?: number;
}
export interface Detection {
  label?: string;
  score?: number;
  confidence?: number;
  box?: Box | number[];
  bbox?: Box | number[];
}
export interface Shot {
  index?: number;
  start: number;
  end: number;
  keyframe?: string | { path?: string; seconds?: number } | null;
  thumbnail?: string | null;
  objects?: Detection[];
  faces?: Detection[];
}
export interface Frame {
  seconds: number;
  path: string;
  width?: number;
  height?: number;
  objects?: Detection[];
  faces?: Detection[];
}

/** `results`: every section optional, unknown extras kept. */
export interface Results {
  summary?: string;
  intake?: Record<string, unknown>;
  probe?: Record<string, unknown>;
  frames?: { count?: number; items?: Frame[] };
  contact_sheet?: { path?: string; grid?: string; resolution?: string } | null;
  transcript?: Transcript | null;
  ocr?: { text?: string; lines?: Array<{ text: string; seconds?: number[] }> } | null;
  image?: Record<string, unknown> & { ocr?: { text?: string } };
  document?: Record<string, unknown> & { text_preview?: string; title?: string; pages?: number };
  answer?: {
    text?: string | null;
    note?: string;
    citations?: Array<{ start?: number; end?: number; seconds?: number; text?: string; label?: string }>;
    extractive?: { sentences?: string[]; terms?: string[] };
  } | null;
  shots?: Shot[] | { items?: Shot[] } | null;
  chapters?:
    | Array<{ start: number; end?: number; title: string }>
    | { items?: Array<{ start: number; end?: number; title: string }> }
    | null;
  objects?: unknown;
  faces?: unknown;
  moderation?: unknown;
  entities?: unknown;
  keywords?: unknown;
  stages?: Array<{ stage: string; ms: number }> | unknown;
  [section: string]: unknown;
}

/** One quoted segment of a search hit. */
export type SearchSegment = SearchAnswer['segments'][number];

/** The search's filters (everything but the query and the limit). */
export type SearchParams = Omit<SearchQuery, 'q' | 'limit'>;
