/**
 * A stage is one step of the pipeline. Stages read and extend the context; they reach
 * the outside world only through the adapters in `deps`.
 */
import type { Agent } from 'undici';
import type { Logger } from '../observability/logger.ts';
import type { Analysis, MediaType } from '../domain/analysis/analysis.types.ts';
import type { Db } from '../persistence/database.ts';
import type { Storage } from '../storage/storage.ts';
import type { AppConfig } from '../config/config.ts';
import type { ProviderRegistry } from '../providers/provider-registry.ts';

export const STAGE_NAMES = [
  'intake',
  'probe',
  'frames',
  'contact_sheet',
  'audio',
  'transcription',
  'image',
  'document',
  'frame_ocr',
  'understanding',
  'answer',
  'outputs',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface PipelineDeps {
  db: Db;
  storage: Storage;
  config: AppConfig;
  downloadAgent: Agent;
  providers: ProviderRegistry;
  /** Called with each finished stage's duration (metrics). */
  observeStage?: (stage: string, seconds: number) => void;
}

/** The stored source file, known after intake. */
export interface SourceFile {
  mediaFileId: string;
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
  sha256: string;
  mime: string;
  mediaType: MediaType;
}

/** A frame extracted from a video, kept for later stages (contact sheet, OCR). */
export interface ExtractedFrame {
  seconds: number;
  absolutePath: string;
  relativePath: string;
}

export interface StageContext {
  analysis: Analysis;
  signal: AbortSignal;
  log: Logger;
  deps: PipelineDeps;
  source: SourceFile | null;
  /** Sections of the analysis `results`, one per stage. */
  results: Record<string, unknown>;
  /** Probe facts later stages need. */
  media?: { durationSeconds: number | null; hasAudio: boolean; hasVideo: boolean };
  frames?: ExtractedFrame[];
  /** Stage timings so far (the outputs stage writes them). */
  timings?: Array<{ stage: string; ms: number }>;
}

export interface Stage {
  name: StageName;
  appliesTo(ctx: StageContext): boolean;
  run(ctx: StageContext): Promise<void>;
}
