/**
 * Ends analyses that no job will ever move again.
 *
 * graphile-worker counts an attempt at each pickup, crashes included. A worker killed by
 * a file at every pickup uses them all up; the job is then never fetched again and the
 * analysis would sit in `processing` for ever, holding one of its tenant's slots. Two
 * guards end it as `failed` (so `retry` is allowed and the slot is free):
 * - the task itself: a pickup that finds its analysis left in `processing` (the previous
 *   holder died) on the job's last attempt fails it with WORKER_CRASHED instead of
 *   running the file that killed the others once more;
 * - the reconciler, on the worker's cron: any `processing` row whose job is gone, or dead
 *   (attempts used up, unlocked), becomes ATTEMPTS_EXHAUSTED / WORKER_CRASHED.
 */
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../persistence/database.ts';
import type { ErrorCode } from '../domain/errors.ts';
import { SYSTEM_WORKER_ACTOR, type Actor, type Analysis } from '../contract/analysis.types.ts';
import { applyTransition } from '../domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../persistence/analysis.repository.ts';
import { strandedAnalysisRepository } from '../persistence/stranded-analysis.repository.ts';
import { ANALYSIS_JOB_KEY_PREFIX } from '../persistence/job.repository.ts';
import { repositories } from '../persistence/repositories.ts';

/** Rows handled per reconciler run; the next run takes the rest. */
export const RECONCILE_BATCH = 100;

/** processing → failed with `code`; false when someone else moved the analysis first. */
export async function failAnalysis(
  db: Db,
  current: Analysis,
  code: ErrorCode,
  message: string,
  actor: Actor,
  audit: Record<string, unknown> = {},
): Promise<boolean> {
  const next = await db
    .transaction()
    .execute((trx) =>
      applyTransition(
        repositories,
        trx,
        current,
        'fail',
        { error_code: code, error_message: message.slice(0, 2000), completed_at: new Date() },
        actor,
        { error_code: code, ...audit },
      ),
    );
  return next !== undefined;
}

/** Fail every stranded analysis; returns how many were ended. */
export async function reconcileStrandedAnalyses(db: Db, log: Logger, opts: { graceMs: number }): Promise<number> {
  const stranded = await strandedAnalysisRepository.find(db, {
    graceMs: opts.graceMs,
    jobKeyPrefix: ANALYSIS_JOB_KEY_PREFIX,
    limit: RECONCILE_BATCH,
  });
  let ended = 0;
  for (const s of stranded) {
    const current = await analysisRepository.findById(db, s.id);
    if (!current || current.status !== 'processing') continue;
    const [code, message]: [ErrorCode, string] =
      s.job === 'dead'
        ? ['ATTEMPTS_EXHAUSTED', `Processing was attempted ${s.attempts} times without finishing`]
        : ['WORKER_CRASHED', 'The job processing this analysis was lost (its worker stopped)'];
    const done = await failAnalysis(db, current, code, message, SYSTEM_WORKER_ACTOR, {
      reconciled: true,
      job: s.job,
    });
    if (done) {
      ended++;
      log.warn({ analysis_id: s.id, code, job: s.job, attempts: s.attempts }, 'stranded analysis ended as failed');
    }
  }
  return ended;
}
