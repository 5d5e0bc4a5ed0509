/**
 * The worker: graphile-worker running our tasks, plus crash recovery.
 *
 * graphile-worker leaves a dead worker's jobs locked for 4 hours. Each worker process
 * here writes a heartbeat row listing the graphile worker ids it owns; a sweeper in
 * every worker unlocks (`forceUnlockWorkers`) jobs whose lock holder has no fresh
 * heartbeat, so a job killed with SIGKILL runs again within roughly
 * `staleAfterMs + sweep interval`.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  run,
  makeWorkerUtils,
  Logger as GraphileLogger,
  type Runner,
  type WorkerUtils,
  type WorkerEvents,
} from 'graphile-worker';
import type { Logger } from '../observability/logger.ts';
import { shuttingDown } from '../observability/shutdown.ts';
import { isDatabaseUnreachable } from '../persistence/database-errors.ts';
import type { Db, Pool } from '../persistence/database.ts';
import { workerHeartbeatRepository } from '../persistence/worker-heartbeat.repository.ts';
import type { PipelineDeps, Stage } from '../pipeline/stage.ts';
import { createProcessAnalysisTask } from './process-analysis.task.ts';
import { startAnalysisWatch } from './analysis-watch.ts';
import { CpuBudget } from '../pipeline/cpu-budget.ts';
import { analysisStageRepository } from '../persistence/analysis-stage.repository.ts';
import { TASK } from '../persistence/job.repository.ts';
import { reconcileStrandedAnalyses } from './reconcile-analyses.ts';
import { BACKFILL_BUDGET_MS, backfillMagnitudes, backfillSureWords } from '../domain/search/segment-backfill.ts';

/** The reconciler of stranded analyses runs every minute (graphile-worker cron's finest step). */
export const RECONCILE_CRON = '* * * * *';
import { terminateOcr } from '../media/ocr.ts';
import { stopSandboxSpare } from '../media/sandbox/sandbox.ts';
import { runCleanup } from '../storage/retention.ts';
import { archiveOldAnalyses, prepareArchive } from '../domain/analysis/archive.service.ts';
import { startWebhookDispatcher, type DispatcherOptions, type DispatcherHandle } from './webhook-dispatcher.ts';
import { repositories } from '../persistence/repositories.ts';

/** Drain time when the options name none (the configured default is WORKER_DRAIN_TIMEOUT_MS). */
const DEFAULT_DRAIN_TIMEOUT_MS = 150_000;

export interface WorkerOptions {
  /** For this worker's own LISTEN connection (running jobs learn of cancels through it). */
  connectionString: string;
  concurrency: number;
  heartbeatIntervalMs: number;
  staleAfterMs: number;
  pollIntervalMs: number;
  /**
   * After stop(), running jobs may finish for this long; then their signal aborts and their
   * analyses go back to pending for another worker (graphile-worker's own default is 5 s,
   * which handed back nearly every job of a draining worker).
   */
  drainTimeoutMs?: number;
  maxAttempts: number;
  backoff?: { baseMs: number; capMs: number };
  stages?: readonly Stage[];
  /** Cron schedule of the storage cleanup (graphile-worker crontab syntax); empty disables it. */
  cleanupCron?: string;
  /** Analyses one tenant may have processing at once (0 = no cap). */
  tenantMaxConcurrent?: number;
  /** CPU cores the stages of all this worker's analyses may keep busy at once. */
  cpuBudget?: number;
  /** Relay the webhook outbox from this process (see webhook-dispatcher.ts). */
  webhooks?: Omit<DispatcherOptions, 'db' | 'log'>;
}

export interface WorkerHandle {
  instanceId: string;
  /** Stop taking jobs, let running ones finish (graceful drain), remove the heartbeat. */
  stop(): Promise<void>;
  /** Resolves when the runner stops for any reason. */
  done: Promise<void>;
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const bindings = {
      scope: { label: scope.label, workerId: scope.workerId, jobId: scope.jobId, taskIdentifier: scope.taskIdentifier },
      ...(meta ?? {}),
    };
    // graphile-worker's UNLISTEN/release failing because the database is going away
    // during our own shutdown (Ctrl-C reaches the embedded PostgreSQL too) is expected.
    const expected = shuttingDown() && isDatabaseUnreachable((meta as { error?: unknown } | undefined)?.error);
    if (expected) logger.debug(bindings, message);
    else if (level === 'error') logger.error(bindings, message);
    else if (level === 'warning') logger.warn(bindings, message);
    else logger.debug(bindings, message);
  });
}

/**
 * Find lock holders with no fresh heartbeat and release their jobs. Returns the ids
 * released. `own` are the sweeping process's worker ids: it is alive (it is sweeping), so
 * its jobs are never released — its heartbeat may merely have been late on a busy machine.
 */
export async function sweepStaleLocks(
  db: Db,
  utils: Pick<WorkerUtils, 'forceUnlockWorkers'>,
  staleAfterMs: number,
  own: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const ids = (await workerHeartbeatRepository.staleLockHolders(db, staleAfterMs)).filter((id) => !own.has(id));
  if (ids.length > 0) await utils.forceUnlockWorkers(ids);
  await workerHeartbeatRepository.forgetOld(db, staleAfterMs);
  return ids;
}

export async function startWorker(
  pool: Pool,
  deps: PipelineDeps,
  logger: Logger,
  opts: WorkerOptions,
): Promise<WorkerHandle> {
  // One budget for the whole process: every analysis this worker runs draws from it.
  deps = {
    ...deps,
    cpu: deps.cpu ?? new CpuBudget(opts.cpuBudget ?? deps.config.worker.cpuBudget),
    stageRepository: deps.stageRepository ?? analysisStageRepository,
  };
  const instanceId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  const log = logger.child({ component: 'worker', worker_instance: instanceId });
  const workerIds = new Set<string>();
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => workerIds.add(workerPool.id));
  events.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
  // What can leave jobs unclaimed with nothing else to show for it: the pool's LISTEN
  // connection failing, job fetches failing, a pool shutting down that nobody asked to stop.
  let stopRequested = false;
  events.on('pool:listen:error', ({ error }) =>
    log.warn({ err: error }, 'queue: the LISTEN connection failed; retrying'),
  );
  events.on('worker:getJob:error', ({ error }) => log.warn({ err: error }, 'queue: fetching a job failed; retrying'));
  events.on('worker:fatalError', ({ error }) => log.error({ err: error }, 'queue: a worker stopped on an error'));
  events.on('pool:fatalError', ({ error, action }) =>
    log.error({ err: error, action }, 'queue: the worker pool failed'),
  );
  events.on('pool:gracefulShutdown', ({ message }) => {
    if (!stopRequested)
      log.error({ reason: message }, 'queue: the worker pool is shutting down unasked; no job will be claimed');
  });

  const { db } = deps;
  const beat = () =>
    workerHeartbeatRepository.beat(db, {
      instanceId,
      hostname: os.hostname(),
      pid: process.pid,
      workerIds: [...workerIds],
    });
  await beat();

  const gLogger = graphileLogger(log);
  const utils = await makeWorkerUtils({ pgPool: pool, logger: gLogger });
  // Copies left in scratch by a process of ours that died (S3 driver; no-op for local disk).
  const swept = await deps.storage.sweepScratch();
  if (swept > 0) log.info({ folders: swept }, 'removed scratch left by stopped processes');
  const watch = await startAnalysisWatch({ connectionString: opts.connectionString, log });
  const task = createProcessAnalysisTask(deps, log, {
    watch,
    maxAttempts: opts.maxAttempts,
    tenantMaxConcurrent: opts.tenantMaxConcurrent ?? 0,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(opts.stages ? { stages: opts.stages } : {}),
  });
  const runner: Runner = await run({
    pgPool: pool,
    concurrency: opts.concurrency,
    noHandleSignals: true,
    pollInterval: opts.pollIntervalMs,
    gracefulShutdownAbortTimeout: opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    taskList: {
      [TASK.processAnalysis]: async (payload, helpers) => {
        try {
          await task(payload, helpers);
        } finally {
          // Scratch copies go on success, failure and retry alike (the next attempt may run elsewhere).
          const id = (payload as { analysisId?: unknown } | null)?.analysisId;
          if (typeof id === 'string')
            await deps.storage.releaseScratch(id).catch((err: unknown) => log.warn({ err }, 'scratch cleanup failed'));
        }
      },
      [TASK.reconcileAnalyses]: async () => {
        await reconcileStrandedAnalyses(deps.db, log.child({ task: TASK.reconcileAnalyses }), {
          graceMs: opts.staleAfterMs,
        });
      },
      // The segments' backfills (the task keeps its first name: queued jobs of the previous release run it).
      // One time budget for both; one failing does not keep the other from running (the job
      // fails after both were tried, and the next tick goes on).
      [TASK.backfillSegmentBits]: async (_payload, helpers) => {
        const deadline = Date.now() + BACKFILL_BUDGET_MS;
        const failures: unknown[] = [];
        const steps = [
          { run: backfillMagnitudes, done: 'segments given their magnitude bits' },
          { run: backfillSureWords, done: 'transcript windows given their sure words' },
        ];
        for (const step of steps) {
          const budgetMs = deadline - Date.now();
          if (budgetMs <= 0) break;
          try {
            const updated = await step.run(deps.db, repositories, { signal: helpers.abortSignal, budgetMs });
            if (updated > 0) log.info({ task: TASK.backfillSegmentBits, updated }, step.done);
          } catch (err) {
            failures.push(err);
          }
        }
        if (failures.length > 0) throw failures[0];
      },
      [TASK.cleanupStorage]: async () => {
        const taskLog = log.child({ task: TASK.cleanupStorage });
        const afterDays = deps.config.storage.archiveAfterDays;
        // Files of analyses due for the archive go in this run's cleanup; their rows move after it.
        await prepareArchive(deps.db, repositories, afterDays);
        await runCleanup(deps.db, deps.storage, taskLog, { orphanGraceMs: deps.config.storage.orphanGraceMs });
        const archived = await archiveOldAnalyses(deps.db, repositories, afterDays);
        if (archived > 0) taskLog.info({ archived, after_days: afterDays }, 'finished analyses archived');
      },
    },
    // graphile-worker's cron schedules each tick once across all workers; the cleanup
    // also takes an advisory lock, so a slow run never overlaps the next one.
    crontab: [
      opts.cleanupCron ? `${opts.cleanupCron} ${TASK.cleanupStorage} ?max=1` : '',
      `${RECONCILE_CRON} ${TASK.reconcileAnalyses} ?max=1`,
      // Segments from before migrations 0012 and 0015 (none once done: two indexed reads a minute).
      `${RECONCILE_CRON} ${TASK.backfillSegmentBits} ?max=1`,
    ]
      .filter(Boolean)
      .join('\n'),
    events,
    logger: gLogger,
  }).catch(async (err: unknown) => {
    await watch.stop();
    throw err;
  });
  await beat();

  const heartbeat = setInterval(() => {
    beat().catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
  }, opts.heartbeatIntervalMs);
  const sweepEveryMs = Math.max(500, Math.round(opts.staleAfterMs / 3));
  const sweeper = setInterval(() => {
    sweepStaleLocks(db, utils, opts.staleAfterMs, workerIds).then(
      (ids) => {
        if (ids.length > 0) log.warn({ worker_ids: ids }, 'released jobs of workers whose heartbeat stopped');
      },
      (err: unknown) => log.warn({ err }, 'stale lock sweep failed'),
    );
  }, sweepEveryMs);
  heartbeat.unref();
  sweeper.unref();
  const dispatcher: DispatcherHandle | null = opts.webhooks
    ? startWebhookDispatcher({ ...opts.webhooks, db, log: log.child({ component: 'webhooks' }) })
    : null;
  log.info({ concurrency: opts.concurrency }, 'worker started');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopRequested = true;
    stopping ??= (async () => {
      clearInterval(heartbeat);
      clearInterval(sweeper);
      log.info('worker draining');
      await runner.stop();
      await watch.stop();
      await dispatcher?.stop();
      await workerHeartbeatRepository.remove(db, instanceId).catch(() => undefined);
      await utils.release();
      await terminateOcr();
      stopSandboxSpare();
      log.info('worker stopped');
    })();
    return stopping;
  };
  return { instanceId, stop, done: runner.promise };
}
