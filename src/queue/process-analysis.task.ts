/**
 * The `process_analysis` task: moves one analysis from pending to a final status, in
 * three steps:
 *
 * - admission: a job for an analysis that is already finished (redelivery) is a no-op; a
 *   pending one starts (unless its tenant is at its cap); one found in `processing` was
 *   left by a worker that died and is resumed, unless every pickup so far died with it.
 *   An identical recent analysis can complete it without a run (`options.reuse`).
 * - run: the stages, with a signal that aborts on shutdown and as soon as the analysis
 *   leaves `processing` (a cancel or delete, told by the `analysis_changed` notification,
 *   see analysis-watch.ts; the stage boundaries check again).
 * - outcome: completed (partial when optional stages failed); permanent errors end in
 *   `failed` with the error's code; transient ones put the analysis back to `pending` and
 *   schedule a new job after a jittered back-off, until the attempts run out.
 */
import type { Task, JobHelpers } from 'graphile-worker';
import type { Logger } from '../observability/logger.ts';
import { SYSTEM_WORKER_ACTOR, type Actor, type Analysis } from '../contract/analysis.types.ts';
import { isTerminal } from '../domain/analysis/analysis.state.ts';
import { applyTransition } from '../domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../persistence/analysis.repository.ts';
import { runPipeline, AnalysisStoppedError, DEFAULT_STAGES } from '../pipeline/pipeline.ts';
import { resultSummary } from '../pipeline/summary.ts';
import type { PipelineDeps, Stage, StageContext } from '../pipeline/stage.ts';
import type { AnalysisResults } from '../pipeline/results.types.ts';
import { trackStages } from '../pipeline/stage-tracking.ts';
import { enqueueProcessAnalysis } from '../persistence/job.repository.ts';
import { repositories } from '../persistence/repositories.ts';
import { failAnalysis } from './reconcile-analyses.ts';
import { handleFailure, leaveProcessing, requeue, type Payload } from './analysis-outcome.ts';
import type { AnalysisWatch } from './analysis-watch.ts';

export interface ProcessAnalysisOptions {
  stages?: readonly Stage[];
  maxAttempts: number;
  backoff?: { baseMs: number; capMs: number };
  /** Analyses one tenant may have processing at once; over it, the job waits (0 = no cap). */
  tenantMaxConcurrent?: number;
  /** Tells a running job that its analysis changed (the worker's LISTEN connection). */
  watch: Pick<AnalysisWatch, 'watch'>;
}

/** How long a job over its tenant's cap waits before it looks again. */
export const TENANT_CAP_RECHECK_MS = 2_000;

/** One pickup of a job: what every step logs and acts with. */
interface Job {
  payload: Payload;
  /** Our attempt counter across re-scheduled jobs (1-based). */
  attempt: number;
  helpers: JobHelpers;
  log: Logger;
  actor: Actor;
}

function parsePayload(raw: unknown): Payload {
  const p = raw as Partial<Payload> | null;
  if (!p || typeof p.analysisId !== 'string') throw new Error('process_analysis: payload has no analysisId');
  return {
    analysisId: p.analysisId,
    correlationId: p.correlationId ?? p.analysisId,
    ...(p.attempt ? { attempt: p.attempt } : {}),
  };
}

export function createProcessAnalysisTask(deps: PipelineDeps, logger: Logger, opts: ProcessAnalysisOptions): Task {
  const stages = opts.stages ?? DEFAULT_STAGES;
  return async (rawPayload: unknown, helpers: JobHelpers) => {
    const payload = parsePayload(rawPayload);
    const attempt = payload.attempt ?? 1;
    const job: Job = {
      payload,
      attempt,
      helpers,
      log: logger.child({
        analysis_id: payload.analysisId,
        correlation_id: payload.correlationId,
        job_id: helpers.job.id,
        attempt,
      }),
      actor: { ...SYSTEM_WORKER_ACTOR, correlationId: payload.correlationId },
    };
    const analysis = await admit(deps, job, opts);
    if (!analysis || (await completeByReuse(deps, job, analysis))) return;
    await runAndSettle(deps, job, analysis, stages, opts);
  };
}

/** Admission: the analysis this job may run (started or resumed), or null when the job ends here. */
async function admit(deps: PipelineDeps, job: Job, opts: ProcessAnalysisOptions): Promise<Analysis | null> {
  const { db } = deps;
  const { payload, helpers, log, actor } = job;
  const analysis = await analysisRepository.findById(db, payload.analysisId);
  if (!analysis) {
    log.warn('analysis not found; job dropped');
    return null;
  }
  if (isTerminal(analysis.status)) {
    log.info({ status: analysis.status }, 'analysis already finished; redelivered job is a no-op');
    return null;
  }
  if (analysis.status === 'pending') {
    const cap = opts.tenantMaxConcurrent ?? 0;
    const started = await db.transaction().execute(async (trx) => {
      if (cap > 0) {
        // One tenant's starts are serialised by an advisory lock, so the count is exact.
        const running = await analysisRepository.lockTenantAndCountProcessing(trx, analysis.tenantId);
        if (running >= cap) return 'over-cap' as const;
      }
      return applyTransition(
        repositories,
        trx,
        analysis,
        'start',
        { started_at: new Date(), progress: 0, error_code: null, error_message: null },
        actor,
        { job_id: helpers.job.id },
      );
    });
    if (started === 'over-cap') {
      // Stay pending; look again shortly. This wait uses up no attempt.
      await enqueueProcessAnalysis(db, payload, { maxAttempts: opts.maxAttempts, runAfterMs: TENANT_CAP_RECHECK_MS });
      log.info({ cap }, 'tenant is at its concurrent-analysis cap; waiting in pending');
      return null;
    }
    if (!started) log.info('analysis changed before it could start; job dropped');
    return started ?? null;
  }
  if (helpers.job.attempts >= helpers.job.max_attempts) {
    // Every earlier pickup died with this analysis in hand: do not run the file once more.
    const message = `The worker stopped ${helpers.job.attempts - 1} times while processing this analysis`;
    if (await failAnalysis(db, analysis, 'WORKER_CRASHED', message, actor, { attempts: helpers.job.attempts }))
      log.warn({ attempts: helpers.job.attempts }, 'analysis failed: its workers kept stopping');
    return null;
  }
  log.warn('analysis was left in processing by a worker that stopped; resuming');
  return analysis;
}

/** With `options.reuse`, complete from an identical recent analysis's results. True when it did. */
async function completeByReuse(deps: PipelineDeps, job: Job, analysis: Analysis): Promise<boolean> {
  const { db } = deps;
  if (analysis.options.reuse !== true || deps.config.providers.reuseWindowHours <= 0) return false;
  const twin = await analysisRepository.findReusable(db, analysis, deps.config.providers.reuseWindowHours);
  if (!twin) return false;
  const results = { ...(twin.results ?? {}), reused_from: twin.id, reused_at: new Date().toISOString() };
  const done = await db.transaction().execute((trx) =>
    applyTransition(
      repositories,
      trx,
      analysis,
      'complete',
      {
        results: JSON.stringify(results),
        progress: 100,
        completed_at: new Date(),
        latency_ms: Date.now() - (analysis.startedAt ?? new Date()).getTime(),
        media_type: twin.mediaType,
        model_used: twin.modelUsed,
      },
      job.actor,
      { reused_from: twin.id },
    ),
  );
  if (done) job.log.info({ reused_from: twin.id }, 'completed by reusing an identical analysis');
  return true;
}

/**
 * A signal that aborts on shutdown and when the analysis leaves `processing`: each
 * `analysis_changed` notification for it re-reads the status (one read at a time; a
 * notification during a read makes one more). Checks once at the start, for a change
 * committed before the watch was in place.
 */
function stopSignal(deps: PipelineDeps, job: Job, watch: ProcessAnalysisOptions['watch']) {
  const controller = new AbortController();
  const onShutdown = () => controller.abort(new Error('worker shutting down'));
  job.helpers.abortSignal?.addEventListener('abort', onShutdown, { once: true });
  let stoppedStatus: string | null = null;
  let reading = false;
  let readAgain = false;
  const check = (): void => {
    if (controller.signal.aborted) return;
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    analysisRepository
      .findStatus(deps.db, job.payload.analysisId)
      .then(
        (status) => {
          if (status !== 'processing' && !controller.signal.aborted) {
            stoppedStatus = status ?? 'missing';
            controller.abort(new AnalysisStoppedError(stoppedStatus));
          }
        },
        (err: unknown) => job.log.warn({ err }, 'cancellation check failed'),
      )
      .finally(() => {
        reading = false;
        if (readAgain) {
          readAgain = false;
          check();
        }
      });
  };
  const unwatch = watch.watch(job.payload.analysisId, check);
  check();
  return {
    signal: controller.signal,
    stoppedStatus: () => stoppedStatus,
    release: () => {
      unwatch();
      job.helpers.abortSignal?.removeEventListener('abort', onShutdown);
    },
  };
}

/** Run the stages, then settle the outcome: completed, stopped, handed back, or failed. */
async function runAndSettle(
  deps: PipelineDeps,
  job: Job,
  analysis: Analysis,
  stages: readonly Stage[],
  opts: ProcessAnalysisOptions,
): Promise<void> {
  const { db } = deps;
  const { payload, attempt, log, actor } = job;
  const startedAt = analysis.startedAt ?? new Date();
  const stop = stopSignal(deps, job, opts.watch);
  const ctx: StageContext = { analysis, signal: stop.signal, log, deps, source: null, results: {} };
  try {
    const { stageRepository } = deps;
    const outcome = await runPipeline(ctx, stages, {
      ...(stageRepository ? trackStages({ ...deps, stageRepository }, analysis, attempt) : {}),
      finalAttempt: attempt >= opts.maxAttempts,
      checkpoint: async () => {
        const status = await analysisRepository.findStatus(db, payload.analysisId);
        if (status !== 'processing') throw new AnalysisStoppedError(status ?? 'missing');
      },
      progress: async (percent) => {
        await analysisRepository.updateWhileProcessing(db, payload.analysisId, { progress: percent });
      },
    });
    const results: AnalysisResults = { ...ctx.results, stages: outcome.timings };
    if (outcome.failed.length > 0) {
      results.partial = true;
      results.failed_stages = outcome.failed;
    }
    results.summary ??= resultSummary(results);
    const answer = results.answer;
    const modelUsed = answer?.provider && answer.model ? `${answer.provider}/${answer.model}` : null;
    const latencyMs = Date.now() - startedAt.getTime();
    const done = await leaveProcessing(db, payload.analysisId, (trx, current) =>
      applyTransition(
        repositories,
        trx,
        current,
        'complete',
        {
          results: JSON.stringify(results),
          progress: 100,
          completed_at: new Date(),
          latency_ms: latencyMs,
          media_type: ctx.analysis.mediaType,
          model_used: modelUsed,
        },
        actor,
      ),
    );
    if (!done.moved) throw new AnalysisStoppedError(done.status);
    log.info(
      { latency_ms: latencyMs, ...(results.partial ? { failed_stages: outcome.failed.map((f) => f.stage) } : {}) },
      results.partial ? 'analysis completed partially' : 'analysis completed',
    );
  } catch (err) {
    const reason = stop.signal.aborted ? stop.signal.reason : err;
    if (reason instanceof AnalysisStoppedError || err instanceof AnalysisStoppedError) {
      log.info(
        { status: stop.stoppedStatus() ?? (err as AnalysisStoppedError).status },
        'analysis stopped by a status change; job ends',
      );
      return;
    }
    if (job.helpers.abortSignal?.aborted) {
      // Shutting down: hand the analysis back to the queue untouched by failure.
      await requeue(deps, payload, attempt, analysis, actor, 'worker shut down mid-job', 0, log, opts.maxAttempts);
      return;
    }
    await handleFailure(deps, payload, attempt, err, actor, opts, log);
  } finally {
    stop.release();
  }
}
