/** How an analysis looks on the wire: snake_case JSON, ISO timestamps. */
import path from 'node:path';
import type { Analysis, AnalysisListItem, Artifact } from '../contract/analysis.types.ts';
import type { AnalysisStage } from '../contract/analysis-stage.types.ts';
import { stageFields } from './schemas/stage-status.schemas.ts';

/** Longest prompt shown in a history row; the status route shows all of it. */
const HISTORY_PROMPT_CHARS = 200;

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/** `archived: true` and `archived_at` on an analysis read from the archive; nothing on a live one. */
function archiveFields(a: Pick<Analysis, 'archivedAt'>): { archived?: true; archived_at?: string } {
  return a.archivedAt ? { archived: true, archived_at: a.archivedAt.toISOString() } : {};
}

export function toStatusResponse(a: Analysis, stages: readonly AnalysisStage[]) {
  const summary = a.results && typeof a.results.summary === 'string' ? a.results.summary : null;
  return {
    analysis_id: a.id,
    status: a.status,
    progress: a.progress,
    media_type: a.mediaType,
    source_url: a.sourceUrl,
    original_filename: a.originalFilename,
    prompt: a.prompt,
    correlation_id: a.correlationId,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    started_at: iso(a.startedAt),
    completed_at: iso(a.completedAt),
    result_summary: summary,
    results: a.results,
    model_used: a.modelUsed,
    latency_ms: a.latencyMs,
    error_message: a.errorMessage,
    error_code: a.errorCode,
    retry_count: a.retryCount,
    metadata: a.metadata,
    ...stageFields(a, stages),
    ...archiveFields(a),
  };
}

export function toHistoryItem(a: AnalysisListItem) {
  const prompt =
    a.prompt.length > HISTORY_PROMPT_CHARS ? `${a.prompt.slice(0, HISTORY_PROMPT_CHARS - 3)}...` : a.prompt;
  return {
    analysis_id: a.id,
    status: a.status,
    progress: a.progress,
    media_type: a.mediaType,
    prompt,
    source_url: a.sourceUrl,
    original_filename: a.originalFilename,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    completed_at: iso(a.completedAt),
    error_code: a.errorCode,
    /** Completed, but an optional stage (speech, OCR, a vision model, the answer) failed. */
    partial: a.partial,
    retry_count: a.retryCount,
    ...archiveFields(a),
  };
}

/** The file name a client sees for an artifact (the last segment of its stored path). */
export function artifactName(f: Artifact): string {
  return path.posix.basename(f.relativePath);
}

export function toArtifactItem(f: Artifact, url: string) {
  return {
    id: f.id,
    area: f.area,
    name: artifactName(f),
    mime_type: f.mimeType,
    size_bytes: f.sizeBytes,
    sha256: f.sha256,
    created_at: f.createdAt.toISOString(),
    expires_at: iso(f.expiresAt),
    url,
  };
}
