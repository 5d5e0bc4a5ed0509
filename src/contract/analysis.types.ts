/**
 * Vocabulary, used the same way everywhere in the code base:
 * - analysis: one media analysis request (a file or URL plus a prompt) and its lifecycle.
 * - job: a queue entry (graphile-worker) that advances an analysis.
 * - stage: one step of the processing pipeline (intake, probe, …).
 * - artifact: a file an analysis produced or stored (upload, frames, contact sheet, outputs).
 * - provider: an outside model service (OpenAI-compatible chat, Deepgram, …).
 * - tenant: the owner of an API key and of every row created with it.
 */
import { MEDIA_TYPES } from './common.schema.ts';
import type { AnalysisResults } from './results.schema.ts';
import type { AnalysisOptions } from './options.schema.ts';

export const ANALYSIS_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'deleted'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

export { MEDIA_TYPES };
export type MediaType = (typeof MEDIA_TYPES)[number];
/** The request's options and the stored results: declared once, in the contract (src/contract). */
export type { AnalysisOptions, AnalysisResults };

/** Who performed a mutation: an API key id, or the worker. */
export interface Actor {
  id: string;
  ip: string | null;
  correlationId: string | null;
}

export const SYSTEM_WORKER_ACTOR: Actor = { id: 'system:worker', ip: null, correlationId: null };

export interface AnalysisConfig {
  model?: string;
  provider?: string;
  max_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface Analysis {
  id: string;
  tenantId: string;
  correlationId: string;
  prompt: string;
  promptHash: string;
  sourceUrl: string | null;
  originalFilename: string | null;
  mediaType: MediaType;
  status: AnalysisStatus;
  progress: number;
  config: AnalysisConfig;
  options: AnalysisOptions;
  results: AnalysisResults | null;
  modelUsed: string | null;
  latencyMs: number | null;
  errorMessage: string | null;
  errorCode: string | null;
  retryCount: number;
  metadata: Record<string, unknown>;
  jobId: number | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  deletedAt: Date | null;
  /** Set when the analysis was read from the archive (see archive.service.ts). */
  archivedAt?: Date | null;
}

/**
 * One row of a history page: what the page shows, without the result document, the
 * configuration or the metadata (a page of completed analyses would otherwise read,
 * send and parse every result document to show one flag of it).
 */
export type AnalysisListItem = Pick<
  Analysis,
  | 'id'
  | 'tenantId'
  | 'prompt'
  | 'sourceUrl'
  | 'originalFilename'
  | 'mediaType'
  | 'status'
  | 'progress'
  | 'errorCode'
  | 'retryCount'
  | 'createdAt'
  | 'updatedAt'
  | 'completedAt'
  | 'archivedAt'
> & {
  /** Completed, but an optional stage failed (`results.partial`). */
  partial: boolean;
};

/** The most retries a client may ask for on one analysis (matches the DB CHECK). */
export const MAX_RETRIES = 10;

/** A file stored for an analysis (its upload) or produced by it (frames, sheets, outputs). */
export interface Artifact {
  id: string;
  area: string;
  /** Path inside the storage root. */
  relativePath: string;
  mimeType: string | null;
  sizeBytes: number;
  sha256: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Columns a history listing may sort by. */
export const SORT_COLUMNS = ['created_at', 'updated_at'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** Which analyses a history listing shows. */
export interface ListFilter {
  tenantId: string;
  status?: AnalysisStatus | undefined;
  mediaType?: MediaType | undefined;
  dateFrom?: Date | undefined;
  dateTo?: Date | undefined;
  /** Archived analyses too (merged in order; each carries `archivedAt`). */
  includeArchived?: boolean | undefined;
}

/** One page of a history listing. */
export interface ListPage {
  sortBy: SortColumn;
  order: 'asc' | 'desc';
  limit: number;
  offset?: number | undefined;
  /** Keyset position: rows strictly after (sortValue, id) in the chosen order. */
  after?: { sortValue: Date; id: string } | undefined;
}
