/**
 * How a run of the `process_analysis` task ends an analysis that did not complete:
 * a permanent error fails it with its code, a transient one puts it back to pending with
 * a new job after a back-off (until the attempts run out), and every move out of
 * processing survives the run's own late writes (see leaveProcessing).
 */
import type { Logger } from '../observability/logger.ts';
import { AppError, isUserError } from '../domain/errors.ts';
import type { Actor, Analysis } from '../contract/analysis.types.ts';
import { applyTransition } from '../domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../persistence/analysis.repository.ts';
import type { Tx } from '../persistence/database.ts';
import { enqueueProcessAnalysis, type ProcessAnalysisPayload } from '../persistence/job.repository.ts';
import type { PipelineDeps } from '../pipeline/stage.ts';
import { backoffDelayMs } from '../resilience/backoff.ts';
import { repositories } from '../persistence/repositories.ts';

/** The job's payload: our own attempt counter across re-scheduled jobs (1-based). */
export interface Payload extends ProcessAnalysisPayload {
  attempt?: number;
}

/** What handleFailure needs of the task's options. */
export interface FailureOptions {
  maxAttempts: number;
  backoff?: { baseMs: number; capMs: number };
}

export async function handleFailure(
  deps: PipelineDeps,
  payload: Payload,
  attempt: number,
  err: unknown,
  actor: Actor,
  opts: FailureOptions,
  log: Logger,
): Promise<void> {
  const appErr =
    err instanceof AppError
      ? err
      : new AppError('PROCESSING_FAILED', (err as Error)?.message ?? String(err), { cause: err });
  const current = await analysisRepository.findById(deps.db, payload.analysisId);
  if (current?.status !== 'processing') return;
  if (!appErr.permanent && (attempt < opts.maxAttempts || !appErr.consumesAttempt)) {
    // An open circuit says when to come back; that wait does not use up an attempt.
    const delay = Math.max(backoffDelayMs(attempt, opts.backoff), appErr.retryAfterMs ?? 0);
    const next = appErr.consumesAttempt ? attempt + 1 : attempt;
    log.warn({ err: appErr, code: appErr.code, delay_ms: delay }, 'transient failure; retrying later');
    await requeue(
      deps,
      payload,
      next,
      current,
      actor,
      `attempt ${attempt} failed (${appErr.code}): ${appErr.message}`,
      delay,
      log,
      opts.maxAttempts,
    );
    return;
  }
  // The user's input (unsupported, corrupt, too large): not a service error, no stack.
  if (isUserError(appErr)) log.info({ code: appErr.code, detail: appErr.message }, 'analysis failed on its input');
  else log.error({ err: appErr, code: appErr.code }, 'analysis failed');
  await leaveProcessing(deps.db, payload.analysisId, (trx, fresh) =>
    applyTransition(
      repositories,
      trx,
      fresh,
      'fail',
      { error_code: appErr.code, error_message: appErr.message.slice(0, 2000), completed_at: new Date() },
      actor,
      { error_code: appErr.code },
    ),
  );
}

/** How many times a move out of processing is re-read and tried again after a version change. */
const LEAVE_PROCESSING_TRIES = 5;

/**
 * Move an analysis out of `processing` (complete, fail, requeue). Transitions are guarded
 * by the row's version; a write of this same run that landed after the row was read (a
 * stage's progress or media type) bumps the version without changing the status, and
 * must not make the worker drop its outcome, which would leave the analysis processing
 * with no job. So while the row is still processing the move is re-read and retried;
 * once it is not (a cancel, a delete) the move is abandoned and the status returned.
 */
export async function leaveProcessing(
  db: PipelineDeps['db'],
  id: string,
  move: (trx: Tx, current: Analysis) => Promise<Analysis | undefined>,
): Promise<{ moved: true; analysis: Analysis } | { moved: false; status: string }> {
  for (let i = 0; i < LEAVE_PROCESSING_TRIES; i++) {
    const current = await analysisRepository.findById(db, id);
    if (current?.status !== 'processing') return { moved: false, status: current?.status ?? 'missing' };
    const next = await db.transaction().execute((trx) => move(trx, current));
    if (next) return { moved: true, analysis: next };
  }
  return { moved: false, status: 'changed' };
}

/** processing → pending, and a new job (after `delayMs`) in the same transaction. */
export async function requeue(
  deps: PipelineDeps,
  payload: Payload,
  nextAttempt: number,
  current: Analysis,
  actor: Actor,
  message: string,
  delayMs: number,
  log: Logger,
  maxAttempts: number,
): Promise<void> {
  const moved = await leaveProcessing(deps.db, current.id, async (trx, fresh) => {
    const jobId = await enqueueProcessAnalysis(
      trx,
      { ...payload, attempt: nextAttempt },
      { maxAttempts, runAfterMs: delayMs },
    );
    const next = await applyTransition(
      repositories,
      trx,
      fresh,
      'requeue',
      { progress: 0, error_message: message.slice(0, 2000), job_id: jobId },
      actor,
      { next_attempt: nextAttempt, delay_ms: delayMs },
    );
    // Roll the new job back if the analysis moved first (leaveProcessing looks again).
    if (!next) throw new RequeueLostRace();
    return next;
  }).catch((err: unknown) => {
    if (err instanceof RequeueLostRace) return { moved: false as const, status: 'changed' };
    throw err;
  });
  if (moved.moved) log.info({ next_attempt: nextAttempt, delay_ms: delayMs }, 'analysis requeued');
}

class RequeueLostRace extends Error {}
