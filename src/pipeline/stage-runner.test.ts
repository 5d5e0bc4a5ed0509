/**
 * The runner's scheduling rules on small in-memory stages: what waits for what, what
 * runs side by side under the CPU budget, and how failures of optional and required
 * stages end. The real stages and the database are exercised in test/stage-graph.test.ts.
 */
import os from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../domain/errors.ts';
import { createLogger } from '../observability/logger.ts';
import { CpuBudget } from './cpu-budget.ts';
import { buildStageGraph, stageLevels, StageGraphError } from './stage-graph.ts';
import { runPipeline, AnalysisStoppedError, type StageEvents } from './stage-runner.ts';
import { DEFAULT_STAGES } from './pipeline.ts';
import { stageCost, type PipelineDeps, type Stage, type StageContext } from './stage.ts';
import { transcriptionStage } from './stages/transcription.stage.ts';
import { stageCores } from './cpu-budget.ts';
import type { Analysis } from '../contract/analysis.types.ts';
import type { SectionName } from './results.types.ts';
import { STAGE_NAMES, type StageName } from '../contract/analysis-stage.types.ts';

const log = createLogger('silent');

function context(cpu = new CpuBudget(2)): StageContext {
  // The runner only reads `cpu`, the CPU budget and the optional observers from deps.
  const deps = { cpu, config: { worker: { cpuBudget: cpu.capacity } } } as unknown as PipelineDeps;
  return {
    analysis: { id: 'a' } as Analysis,
    signal: new AbortController().signal,
    log,
    deps,
    source: null,
    results: {},
  };
}

interface Probe {
  log: string[];
  running: Set<string>;
  maxTogether: number;
}

function probe(): Probe {
  return { log: [], running: new Set(), maxTogether: 0 };
}

/** A stage that holds until `gate` resolves, recording when it runs. */
function stage(
  name: string,
  p: Probe,
  opts: {
    needs?: SectionName[];
    uses?: SectionName[];
    produces?: SectionName[];
    optional?: boolean;
    cost?: Stage['cost'];
    final?: boolean;
    gate?: Promise<void>;
    fail?: Error;
    applies?: boolean | string;
  } = {},
): Stage {
  return {
    // In-memory stages with names of their own (the graph rules do not depend on the real names).
    name: name as StageName,
    needs: opts.needs ?? [],
    ...(opts.uses ? { uses: opts.uses } : {}),
    produces: opts.produces ?? [],
    optional: opts.optional ?? true,
    ...(opts.cost !== undefined ? { cost: opts.cost } : {}),
    ...(opts.final ? { final: true } : {}),
    appliesTo: () => opts.applies ?? true,
    async run(ctx) {
      p.log.push(`start ${name}`);
      p.running.add(name);
      p.maxTogether = Math.max(p.maxTogether, p.running.size);
      try {
        await (opts.gate ?? Promise.resolve());
        await new Promise((r) => setImmediate(r));
        if (opts.fail) throw opts.fail;
        for (const section of opts.produces ?? []) (ctx.results as Record<string, unknown>)[section] = { by: name };
      } finally {
        p.running.delete(name);
        p.log.push(`end ${name}`);
      }
    },
  };
}

const hooks = { checkpoint: async () => undefined, progress: async () => undefined };

function recorder(): { events: StageEvents; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    events: {
      started: async (s) => void seen.push(`running ${s}`),
      done: async (s) => void seen.push(`done ${s}`),
      skipped: async (s, why) => void seen.push(`skipped ${s}: ${why}`),
      failed: async (s, e) => void seen.push(`failed ${s}: ${e.code}`),
    },
  };
}

test('independent stages run side by side; a stage waits for what it needs', async () => {
  const p = probe();
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const stages = [
    stage('intake', p, { produces: ['intake'], optional: false }),
    stage('frames', p, { needs: ['intake'], produces: ['frames'], gate }),
    stage('audio', p, { needs: ['intake'], produces: ['audio'], gate }),
    stage('contact_sheet', p, { needs: ['frames'], produces: ['contact_sheet'] }),
    stage('outputs', p, { needs: ['intake'], final: true, optional: false }),
  ];
  const run = runPipeline(context(), stages, hooks);
  while (p.running.size < 2) await new Promise((r) => setImmediate(r));
  assert.deepEqual([...p.running].sort(), ['audio', 'frames']);
  open();
  const outcome = await run;
  assert.equal(p.maxTogether, 2);
  assert.ok(p.log.indexOf('start contact_sheet') > p.log.indexOf('end frames'));
  assert.equal(p.log.at(-2), 'start outputs', 'the final stage runs after all others');
  assert.deepEqual(
    outcome.timings.map((t) => t.stage),
    ['intake', 'frames', 'audio', 'contact_sheet', 'outputs'],
    'timings are reported in declared order',
  );
  assert.deepEqual(outcome.failed, []);
});

test('the CPU budget bounds how many stages run at once', async () => {
  const p = probe();
  const stages = ['a', 'b', 'c', 'd'].map((n) => stage(n, p, { cost: 1 }));
  await runPipeline(context(new CpuBudget(1)), stages, hooks);
  assert.equal(p.maxTogether, 1);
  const wide = probe();
  await runPipeline(
    context(new CpuBudget(4)),
    ['a', 'b', 'c', 'd'].map((n) => stage(n, wide, { cost: 1 })),
    hooks,
  );
  assert.equal(wide.maxTogether, 4);
  const free = probe();
  await runPipeline(
    context(new CpuBudget(1)),
    ['a', 'b', 'c'].map((n) => stage(n, free, { cost: 0 })),
    hooks,
  );
  assert.equal(free.maxTogether, 3, 'stages that cost no CPU do not wait for the budget');
});

test("a cost that depends on the analysis: local transcription holds its engines' cores, a provider none", async () => {
  const withProvider = (provider: object | null): StageContext => {
    const ctx = context();
    return { ...ctx, deps: { ...ctx.deps, providers: { transcription: () => provider } } as unknown as PipelineDeps };
  };
  // One engine per core of the worker's CPU budget (WORKER_CPU_BUDGET), at most the machine's cores.
  assert.equal(stageCost(transcriptionStage, withProvider(null)), Math.min(2, os.availableParallelism()));
  assert.equal(stageCores({ deps: { config: { worker: { cpuBudget: 1 } } } }), 1);
  assert.equal(stageCores({ deps: { config: { worker: { cpuBudget: 256 } } } }), os.availableParallelism());
  assert.equal(stageCost(transcriptionStage, withProvider({ name: 'openai' })), 0);

  // The runner asks the function: a two-unit stage on a two-unit budget runs alone.
  const p = probe();
  const stages = [stage('speech', p, { cost: () => 2 }), stage('shots', p, { cost: 1 })];
  await runPipeline(context(new CpuBudget(2)), stages, hooks);
  assert.equal(p.maxTogether, 1);
});

test('sequential mode runs one stage at a time in declared order', async () => {
  const p = probe();
  const stages = [
    stage('intake', p, { produces: ['intake'] }),
    stage('frames', p, { needs: ['intake'], produces: ['frames'] }),
    stage('audio', p, { needs: ['intake'], produces: ['audio'] }),
  ];
  await runPipeline(context(new CpuBudget(4)), stages, { ...hooks, sequential: true });
  assert.equal(p.maxTogether, 1);
  assert.deepEqual(p.log, ['start intake', 'end intake', 'start frames', 'end frames', 'start audio', 'end audio']);
});

test('an optional stage fails permanently: the rest goes on, its dependants are skipped with the reason', async () => {
  const p = probe();
  const r = recorder();
  const stages = [
    stage('intake', p, { produces: ['intake'], optional: false }),
    stage('frames', p, { needs: ['intake'], produces: ['frames'], fail: new AppError('MEDIA_CORRUPT', 'bad frame') }),
    stage('contact_sheet', p, { needs: ['frames'], produces: ['contact_sheet'] }),
    stage('audio', p, { needs: ['intake'], produces: ['audio'] }),
    stage('image', p, { needs: ['intake'], produces: ['image'], applies: 'not an image' }),
    stage('answer', p, { needs: ['intake'], uses: ['contact_sheet', 'audio'], produces: ['answer'] }),
  ];
  const outcome = await runPipeline(context(), stages, { ...hooks, events: r.events });
  assert.deepEqual(outcome.failed, [{ stage: 'frames', error_code: 'MEDIA_CORRUPT', error_message: 'bad frame' }]);
  assert.ok(r.seen.includes('failed frames: MEDIA_CORRUPT'));
  assert.ok(r.seen.includes('skipped contact_sheet: needs frames, which frames did not produce (failed)'));
  assert.ok(r.seen.includes('skipped image: not an image'));
  assert.ok(r.seen.includes('done answer'), 'a stage that only uses a missing section still runs');
  assert.ok(r.seen.includes('done audio'));
});

test('a transient failure of an optional stage sends the job back, except on the last attempt', async () => {
  const boom = () => stage('transcription', probe(), { fail: new AppError('PROVIDER_FAILED', '502') });
  await assert.rejects(
    runPipeline(context(), [boom()], hooks),
    (e: unknown) => (e as AppError).code === 'PROVIDER_FAILED',
  );
  const last = await runPipeline(context(), [boom()], { ...hooks, finalAttempt: true });
  assert.equal(last.failed[0]?.error_code, 'PROVIDER_FAILED');
  const open = stage('answer', probe(), {
    fail: new AppError('PROVIDER_UNAVAILABLE', 'open'),
  });
  await assert.rejects(
    runPipeline(context(), [open], { ...hooks, finalAttempt: true }),
    (e: unknown) => (e as AppError).code === 'PROVIDER_UNAVAILABLE',
    'an open circuit always waits',
  );
});

test('a required stage failing aborts the stages running beside it and fails the run', async () => {
  const p = probe();
  let aborted: unknown = null;
  const slow: Stage = {
    ...stage('audio', p, { needs: ['intake'] }),
    async run(ctx) {
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = ctx.signal.reason;
          resolve();
        });
      });
    },
  };
  const stages = [
    stage('intake', p, { produces: ['intake'], optional: false }),
    slow,
    stage('probe', p, { needs: ['intake'], optional: false, fail: new AppError('UNSUPPORTED_MEDIA', 'no streams') }),
  ];
  await assert.rejects(
    runPipeline(context(), stages, hooks),
    (e: unknown) => (e as AppError).code === 'UNSUPPORTED_MEDIA',
  );
  assert.equal((aborted as AppError).code, 'UNSUPPORTED_MEDIA');
});

test('a stop at a checkpoint ends the run with AnalysisStoppedError', async () => {
  const p = probe();
  const stages = [stage('intake', p, { produces: ['intake'] }), stage('probe', p, { needs: ['intake'] })];
  await assert.rejects(
    runPipeline(context(), stages, {
      ...hooks,
      checkpoint: async (s) => {
        if (s === 'probe') throw new AnalysisStoppedError('cancelled');
      },
    }),
    AnalysisStoppedError,
  );
  assert.deepEqual(p.log, ['start intake', 'end intake']);
});

test('a stage past its hard limit is aborted with a transient STAGE_TIMEOUT, even when it ignores its signal', async () => {
  const p = probe();
  const r = recorder();
  const stalled: string[] = [];
  const hang = stage('frames', p, { gate: new Promise(() => undefined) });
  const started = Date.now();
  await assert.rejects(
    runPipeline(context(), [hang], {
      ...hooks,
      events: { ...r.events, stalled: async (s) => void stalled.push(s) },
      limits: async () => ({ stallAfterMs: 20, hardLimitMs: 80, expectedMs: 10 }),
    }),
    (e: unknown) => e instanceof AppError && e.code === 'STAGE_TIMEOUT' && !e.permanent,
  );
  assert.ok(Date.now() - started < 5_000);
  assert.deepEqual(stalled, ['frames']);
  assert.ok(r.seen.includes('failed frames: STAGE_TIMEOUT'));
});

test('the graph is checked when first used: unknown needs, duplicates, misplaced final stages', () => {
  const p = probe();
  assert.throws(() => buildStageGraph([stage('a', p, { needs: ['frames'] })]), StageGraphError);
  assert.throws(() => buildStageGraph([stage('a', p), stage('a', p)]), /declared twice/);
  assert.throws(
    () => buildStageGraph([stage('a', p, { produces: ['audio'] }), stage('b', p, { produces: ['audio'] })]),
    /produced by both/,
  );
  assert.throws(() => buildStageGraph([stage('z', p, { final: true }), stage('a', p)]), /final stages come last/);
});

test('the default pipeline is a valid graph with intake and probe first', () => {
  const levels = stageLevels(buildStageGraph(DEFAULT_STAGES));
  assert.deepEqual(levels[0], ['intake']);
  assert.deepEqual(levels[1], ['probe']);
  assert.ok(levels[2]!.includes('shots') && levels[2]!.includes('audio'), JSON.stringify(levels));
  // Frames wait for the shot plan; vision for the frames.
  assert.ok(levels[3]!.includes('frames'), JSON.stringify(levels));
  assert.ok(levels[4]!.includes('vision'), JSON.stringify(levels));
  assert.deepEqual(levels.at(-1), ['outputs']);
  const required = DEFAULT_STAGES.filter((s) => !s.optional).map((s) => s.name);
  assert.deepEqual(required, ['intake', 'probe', 'document', 'outputs']);
});

test('the CPU budget serves waiters first come, first served, and an aborted wait leaves', async () => {
  const cpu = new CpuBudget(2);
  const a = await cpu.acquire(1);
  const order: string[] = [];
  const big = cpu.acquire(2).then((release) => {
    order.push('big');
    return release;
  });
  const ac = new AbortController();
  const cancelled = cpu.acquire(1, ac.signal).catch(() => order.push('cancelled'));
  ac.abort(new Error('stop'));
  await cancelled;
  a();
  (await big)();
  assert.deepEqual(order, ['cancelled', 'big']);
  assert.equal(cpu.used, 0);
  assert.throws(() => new CpuBudget(0), RangeError);
});

test('the stage names are the declared stages, in order', () => {
  assert.deepEqual(
    DEFAULT_STAGES.map((s) => s.name),
    [...STAGE_NAMES],
  );
});
