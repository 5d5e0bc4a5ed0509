/**
 * The shapes the console reads from the public API. Result sections that other features
 * add over time are optional: the viewer shows what is there and says what is not.
 */
export type AnalysisStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'deleted' | string;

export interface StageState {
  name: string;
  status: string;
  started_at?: string | null;
  completed_at?: string | null;
  duration_ms?: number | null;
  error_code?: string | null;
}

export interface AnalysisStatusBody {
  analysis_id: string;
  status: AnalysisStatus;
  progress: number;
  media_type: string;
  source_url: string | null;
  original_filename: string | null;
  prompt: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  result_summary: string | null;
  results: Results | null;
  model_used: string | null;
  latency_ms: number | null;
  error_message: string | null;
  error_code: string | null;
  retry_count: number;
  current_stage?: string | null;
  stages?: StageState[];
}

export interface HistoryItem {
  analysis_id: string;
  status: AnalysisStatus;
  progress: number;
  media_type: string;
  prompt: string;
  source_url: string | null;
  original_filename: string | null;
  created_at: string;
  completed_at: string | null;
  error_code: string | null;
}

export interface HistoryPage {
  data: HistoryItem[];
  pagination: { page: number; per_page: number; total: number; total_pages: number; next_cursor: string | null };
}

export interface Artifact {
  id: string;
  area: string;
  name: string;
  mime_type: string | null;
  size_bytes: number;
  url: string;
}

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

export interface SearchHit {
  analysis_id: string;
  original_filename?: string | null;
  media_type?: string;
  start?: number | null;
  end?: number | null;
  seconds?: number | null;
  text?: string | null;
  snippet?: string | null;
  kind?: string;
  score?: number;
  thumbnail_url?: string | null;
  thumbnail?: string | null;
}
