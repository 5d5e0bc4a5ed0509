/**
 * Queue task names, payloads and the in-transaction enqueue. graphile-worker's
 * `add_job` is plain SQL, so a job commits (or rolls back) with the rows written in
 * the same transaction: there is no dual write between the database and the queue.
 * It lives in persistence (not src/queue) because the domain enqueues inside its own
 * transactions; the queue layer only runs the tasks named here.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export const TASK = {
  processAnalysis: 'process_analysis',
  cleanupStorage: 'cleanup_storage',
  reconcileAnalyses: 'reconcile_analyses',
  backfillSegmentBits: 'backfill_segment_bits',
} as const;

export interface ProcessAnalysisPayload {
  analysisId: string;
  correlationId: string;
}

/** The job key of an analysis is this prefix and its id. */
export const ANALYSIS_JOB_KEY_PREFIX = 'analysis:';

/** One job per analysis at a time: a retry replaces a waiting job instead of adding a second. */
export function analysisJobKey(analysisId: string): string {
  return `${ANALYSIS_JOB_KEY_PREFIX}${analysisId}`;
}

type Executor = Kysely<Database> | Transaction<Database>;

export interface EnqueueOptions {
  /** graphile-worker attempts for this job (crash redeliveries count against it). */
  maxAttempts: number;
  /** Delay before the job may run. */
  runAfterMs?: number;
}

export async function enqueueProcessAnalysis(
  db: Executor,
  payload: ProcessAnalysisPayload & { attempt?: number },
  opts: EnqueueOptions,
): Promise<number> {
  const runAt = opts.runAfterMs ? sql`(now() + make_interval(secs => ${opts.runAfterMs / 1000}))` : sql`NULL`;
  const r = await sql<{ id: number }>`
    SELECT id FROM graphile_worker.add_job(
      ${TASK.processAnalysis},
      ${JSON.stringify(payload)}::json,
      run_at => ${runAt}::timestamptz,
      max_attempts => ${opts.maxAttempts}::int,
      job_key => ${analysisJobKey(payload.analysisId)}::text
    )`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error('graphile_worker.add_job returned no row');
  return Number(row.id);
}

/**
 * Remove the analysis's job if it is still waiting. A job that is running is left alone
 * (it notices the status change at its next step) and will not be retried.
 */
export async function removeAnalysisJob(db: Executor, analysisId: string): Promise<void> {
  await sql`SELECT graphile_worker.remove_job(${analysisJobKey(analysisId)})`.execute(db);
}

/** Jobs runnable now and the age of the oldest, read through graphile-worker's public `jobs` view. */
export async function runnableJobs(db: Executor): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const r = await sql<{ depth: number; age: number | null }>`
    SELECT count(*)::int AS depth, extract(epoch FROM now() - min(run_at))::float8 AS age
    FROM graphile_worker.jobs WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts`.execute(db);
  return { depth: r.rows[0]?.depth ?? 0, oldestAgeSeconds: Math.max(0, r.rows[0]?.age ?? 0) };
}
