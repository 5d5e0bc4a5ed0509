/**
 * Analyses stuck in `processing` with no job that will ever move them: the job is gone,
 * or graphile-worker has used all its attempts and will not fetch it again (a worker that
 * died at each pickup, an out-of-memory loop, repeated timeouts). Read through
 * graphile-worker's documented `graphile_worker.jobs` view, never its private tables.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface StrandedAnalysis {
  id: string;
  /** `gone`: no job with the analysis's key; `dead`: attempts used up and nobody holds it. */
  job: 'gone' | 'dead';
  attempts: number | null;
  lastError: string | null;
}

export interface StrandedQuery {
  /** A row must have been in processing, unchanged, at least this long (a live job moves it). */
  graceMs: number;
  /** The job key of an analysis is `${jobKeyPrefix}${id}` (the queue layer owns the format). */
  jobKeyPrefix: string;
  limit: number;
}

export const strandedAnalysisRepository = {
  async find(db: Kysely<Database>, q: StrandedQuery): Promise<StrandedAnalysis[]> {
    const r = await sql<{ id: string; job_id: string | null; attempts: number | null; last_error: string | null }>`
      SELECT a.id, j.id AS job_id, j.attempts, j.last_error
      FROM media_analysis_requests a
      LEFT JOIN graphile_worker.jobs j ON j.key = ${q.jobKeyPrefix} || a.id::text
      WHERE a.status = 'processing'
        AND a.deleted_at IS NULL
        AND a.updated_at < now() - make_interval(secs => ${q.graceMs / 1000})
        AND (j.id IS NULL OR (j.locked_at IS NULL AND j.attempts >= j.max_attempts))
      ORDER BY a.updated_at
      LIMIT ${q.limit}`.execute(db);
    return r.rows.map((row) => ({
      id: row.id,
      job: row.job_id === null ? 'gone' : 'dead',
      attempts: row.attempts,
      lastError: row.last_error,
    }));
  },
};
