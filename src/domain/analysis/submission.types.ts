/** What a submission carries into the analysis service, and what it gets back. */
import type { NewMediaFile } from '../../persistence/media-file.repository.ts';
import type { Analysis, AnalysisConfig, AnalysisOptions, MediaType } from '../../contract/analysis.types.ts';

export interface CreateAnalysisInput {
  id?: string;
  tenantId: string;
  prompt: string;
  sourceUrl: string | null;
  upload: (Omit<NewMediaFile, 'analysisId'> & { originalFilename: string | null }) | null;
  mediaType: MediaType;
  config: AnalysisConfig;
  options: AnalysisOptions;
  metadata: Record<string, unknown>;
  /** Called back at the end like a tenant endpoint, signed with the tenant's secret (checked by the caller). */
  webhookUrl?: string | null;
  correlationId: string;
  createdAt?: Date;
}

export interface IdempotencyContext {
  key: string;
  requestHash: string;
  render: (a: Analysis) => Record<string, unknown>;
}

/** An `Idempotency-Key` and what the client sent with it. */
export interface IdempotentRequest {
  key: string;
  /** Everything that makes the request what it is (body, upload digest); a replay must match it. */
  fingerprint: unknown;
  /** The response body stored with the key and replayed to a repeated request. */
  render: (a: Analysis) => Record<string, unknown>;
}

export type SubmitOutcome =
  { kind: 'created'; analysis: Analysis } | { kind: 'replayed'; status: number; body: Record<string, unknown> };
