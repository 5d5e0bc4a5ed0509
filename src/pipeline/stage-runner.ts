/**
 * Runs a stage graph for one analysis. A stage starts as soon as every stage it waits
 * for has settled (done, skipped or failed) and the worker's CPU budget has room for
 * its cost, so independent stages (audio while frames are extracted, transcription
 * while the contact sheet is composed) run side by side.
 *
 * Before each stage the runner asks whether the analysis may go on (a cancel or delete
 * stops it). Each stage gets its own AbortSignal, aborted when the analysis stops or
 * when the stage passes its hard time limit. A required stage's failure aborts the
 * others and fails the run; an optional stage's failure is recorded and the run goes
 * on (the analysis completes as partial).
 */
import { AppError, isUserError } from '../domain/errors.ts';
import { CpuBudget } from './cpu-budget.ts';
import { buildStageGraph, type StageGraph } from './stage-graph.ts';
import { stageCost, type Stage, type StageContext } from './stage.ts';
import { stageView } from './stage-view.ts';
import type { FailedStage, StageTiming } from './results.types.ts';
import type { StageName } from '../contract/analysis-stage.types.ts';

/** Progress reserved for completion: stages move progress up to this value. */
export const STAGES_PROGRESS_CEILING = 95;

export class AnalysisStoppedError extends Error {
  readonly status: string;
  constructor(status: string) {
    super(`Analysis is ${status}; stopping`);
    this.status = status;
    this.name = 'AnalysisStoppedError';
  }
}

export interface StageLimits {
  /** Past this the stage is flagged stalled (once); null: never. */
  stallAfterMs: number | null;
  /** Past this the stage is aborted and the job retried (STAGE_TIMEOUT, transient); null: never. */
  hardLimitMs: number | null;
  /** What the stall threshold was derived from (logged with the stall). */
  expectedMs?: number | null;
}

/** Per-stage status changes, in the order they happen (stored by the caller). */
export interface StageEvents {
  planned?(stages: readonly string[]): Promise<void>;
  started?(stage: StageName): Promise<void>;
  done?(stage: StageName, ms: number): Promise<void>;
  skipped?(stage: StageName, reason: string): Promise<void>;
  failed?(stage: StageName, error: { code: string; message: string }, ms: number | null): Promise<void>;
  stalled?(stage: StageName, elapsedMs: number, limits: StageLimits): Promise<void>;
}

export interface PipelineHooks {
  /** Throw AnalysisStoppedError when the analysis must not go on. */
  checkpoint(stage: StageName): Promise<void>;
  progress(percent: number): Promise<void>;
  events?: StageEvents;
  /** Time limits for a stage about to start (learned or configured); none when absent. */
  limits?(stage: Stage, ctx: StageContext): Promise<StageLimits>;
  /**
   * The job's last attempt: transient failures of optional stages are then recorded
   * like permanent ones instead of sending the whole job back to the queue.
   */
  finalAttempt?: boolean;
  /** One stage at a time, in declared order (the benchmark's baseline). */
  sequential?: boolean;
}

export interface PipelineOutcome {
  /** Stages that ran, in declared order. */
  timings: StageTiming[];
  /** Optional stages that failed (the analysis is partial when any did). */
  failed: FailedStage[];
}

type Settled = 'done' | 'skipped' | 'failed';

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  if (err instanceof AnalysisStoppedError) return { code: 'ANALYSIS_STOPPED', message: err.message };
  return { code: 'PROCESSING_FAILED', message: err instanceof Error ? err.message : String(err) };
}

/** Rejects with the signal's reason once it aborts (a stage that ignores its signal still ends). */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

const graphs = new WeakMap<readonly Stage[], StageGraph>();
function graphOf(stages: readonly Stage[]): StageGraph {
  let graph = graphs.get(stages);
  if (!graph) {
    graph = buildStageGraph(stages);
    graphs.set(stages, graph);
  }
  return graph;
}

export async function runPipeline(
  ctx: StageContext,
  stages: readonly Stage[],
  hooks: PipelineHooks,
): Promise<PipelineOutcome> {
  const graph = graphOf(stages);
  // The worker hands in one budget for all its analyses; a run on its own gets the configured one.
  const cpu = ctx.deps.cpu ?? new CpuBudget(ctx.deps.config.worker.cpuBudget);
  const events = hooks.events ?? {};
  const settled = new Map<string, Settled>();
  const running = new Map<string, Promise<void>>();
  const controllers = new Set<AbortController>();
  const timings: StageTiming[] = [];
  const failed: FailedStage[] = [];
  const waiting = [...stages];
  let fatal: { error: unknown } | null = null;

  const fail = (error: unknown) => {
    fatal ??= { error };
    for (const c of controllers) c.abort(error);
  };

  const progress = async () => {
    await hooks.progress(Math.round((settled.size / stages.length) * STAGES_PROGRESS_CEILING));
  };

  /** Why a stage whose needs are missing is skipped, or null when they are all there. */
  const missingNeed = (stage: Stage): string | null => {
    for (const section of stage.needs) {
      if (ctx.results[section] !== undefined) continue;
      const producer = graph.producerOf.get(section)!;
      return `needs ${section}, which ${producer} did not produce (${settled.get(producer) ?? 'not run'})`;
    }
    return null;
  };

  const contained = (stage: Stage, err: unknown): boolean => {
    if (!stage.optional) return false;
    if (err instanceof AppError && !err.consumesAttempt) return false; // an open circuit: wait, as before
    const permanent = err instanceof AppError ? err.permanent : false;
    return permanent || hooks.finalAttempt === true;
  };

  const execute = async (stage: Stage): Promise<void> => {
    const controller = new AbortController();
    controllers.add(controller);
    const onParentAbort = () => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onParentAbort, { once: true });
    const timers: NodeJS.Timeout[] = [];
    const aborted = whenAborted(controller.signal);
    let release: (() => void) | null = null;
    let startedAt: number | null = null;
    try {
      // acquire() itself gives up when the signal aborts; racing it against the signal instead
      // could lose a grant that landed in the same tick, leaking the units for good.
      release = await cpu.acquire(stageCost(stage, ctx), controller.signal);
      controller.signal.throwIfAborted();
      const limits = hooks.limits ? await hooks.limits(stage, ctx) : null;
      await events.started?.(stage.name);
      startedAt = performance.now();
      ctx.log.debug({ stage: stage.name }, 'stage started');
      if (limits?.stallAfterMs != null) {
        const after = limits.stallAfterMs;
        timers.push(
          setTimeout(() => {
            ctx.log.warn(
              {
                stage: stage.name,
                elapsed_ms: after,
                expected_ms: limits.expectedMs,
                hard_limit_ms: limits.hardLimitMs,
              },
              'stage stalled: running far past its expected duration',
            );
            ctx.deps.observeStall?.(stage.name);
            events.stalled?.(stage.name, after, limits).catch((err: unknown) => {
              ctx.log.warn({ err, stage: stage.name }, 'could not record the stall');
            });
          }, after),
        );
      }
      if (limits?.hardLimitMs != null) {
        const limit = limits.hardLimitMs;
        timers.push(
          setTimeout(() => {
            controller.abort(new AppError('STAGE_TIMEOUT', `Stage ${stage.name} passed its time limit of ${limit} ms`));
          }, limit),
        );
      }
      await Promise.race([stage.run(stageView(ctx, controller.signal, stage.name)), aborted.promise]);
      const ms = Math.round(performance.now() - startedAt);
      timings.push({ stage: stage.name, ms });
      ctx.timings = [...timings];
      ctx.deps.observeStage?.(stage.name, ms / 1000);
      settled.set(stage.name, 'done');
      await events.done?.(stage.name, ms);
      ctx.log.info({ stage: stage.name, ms }, 'stage finished');
    } catch (thrown) {
      settled.set(stage.name, 'failed');
      const ms = startedAt === null ? null : Math.round(performance.now() - startedAt);
      if (ctx.signal.aborted || fatal) {
        // The analysis stopped (cancel, delete, shutdown) or another stage failed it.
        const reason = ctx.signal.aborted ? ctx.signal.reason : thrown;
        fail(reason);
        await events.failed?.(stage.name, describe(reason), ms).catch(() => undefined);
        return;
      }
      const err = controller.signal.aborted ? controller.signal.reason : thrown;
      const info = describe(err);
      await events.failed?.(stage.name, info, ms);
      if (contained(stage, err)) {
        failed.push({ stage: stage.name, error_code: info.code, error_message: info.message });
        ctx.failedStages = [...failed];
        const cause = isUserError(err) ? { detail: (err as AppError).message } : { err };
        ctx.log.warn({ stage: stage.name, code: info.code, ...cause }, 'optional stage failed; the analysis goes on');
      } else {
        fail(err);
      }
    } finally {
      for (const t of timers) clearTimeout(t);
      aborted.dispose();
      release?.();
      ctx.signal.removeEventListener('abort', onParentAbort);
      controllers.delete(controller);
    }
  };

  /** Start (or skip) every stage whose waits are over. */
  const startReady = async () => {
    for (const stage of [...waiting]) {
      if (fatal) return;
      if (hooks.sequential && running.size > 0) return;
      if (!graph.waitsFor.get(stage.name)!.every((name) => settled.has(name))) {
        if (hooks.sequential) return;
        continue;
      }
      waiting.splice(waiting.indexOf(stage), 1);
      await hooks.checkpoint(stage.name);
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const verdict = missingNeed(stage) ?? stage.appliesTo(ctx);
      if (verdict !== true) {
        const reason = typeof verdict === 'string' ? verdict : 'does not apply to this media or these options';
        settled.set(stage.name, 'skipped');
        await events.skipped?.(stage.name, reason);
        ctx.log.debug({ stage: stage.name, reason }, 'stage skipped');
        await progress();
        continue;
      }
      // The progress write is part of the stage's promise: the run never ends (and the job never
      // completes or fails the analysis) with a write still in flight that would bump its version.
      const run = execute(stage).then(async () => {
        try {
          if (!fatal) await progress();
        } finally {
          running.delete(stage.name);
        }
      });
      running.set(stage.name, run);
    }
  };

  await events.planned?.(stages.map((s) => s.name));
  try {
    for (;;) {
      // Skipping a stage can free others, so look again until nothing changes.
      let before: number;
      do {
        before = settled.size + running.size;
        await startReady();
      } while (!fatal && settled.size + running.size !== before);
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } catch (err) {
    fail(err);
  }
  if (running.size > 0) await Promise.allSettled(running.values());
  if (fatal) throw (fatal as { error: unknown }).error;
  const order = new Map<string, number>(stages.map((s, i) => [s.name, i]));
  timings.sort((a, b) => order.get(a.stage)! - order.get(b.stage)!);
  return { timings, failed };
}
