/**
 * The stage graph end to end: real queue, PostgreSQL, ffmpeg and a local HTTP server
 * speaking the OpenAI chat protocol as the slow (or failing) adapter. Checks per-stage
 * status while an analysis runs, stall detection, the hard limit's abort and retry,
 * partial completion, and that independent stages really overlap.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startFakeProviders, type FakeProviders } from './helpers/fake-providers.ts';
import { createTestApp, auth, waitFor, type TestApp } from './helpers/app.ts';
import { fixtures, hasFfmpeg } from './helpers/fixtures.ts';
import { multipart } from './helpers/multipart.ts';
import { analysisStageRepository } from '../src/persistence/analysis-stage.repository.ts';
import { rollback, migrateToLatest, MIGRATIONS } from '../src/persistence/migrator.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { Kysely } from 'kysely';

/** The answer stage's hard limit here: long enough for a normal answer, short enough for a test. */
const ANSWER_LIMIT_MS = 2_500;

let fake: FakeProviders;
let t: TestApp;

before(async () => {
  fake = await startFakeProviders();
  t = await createTestApp({
    CHAT_PROVIDERS: 'vllm',
    VLLM_BASE_URL: `${fake.url}/v1`,
    VLLM_API_KEY: 'sk-test',
    CHAT_MODEL: 'fake-model',
    CHAT_MAX_RETRIES: '0',
    // The provider's own timeout is longer than the stage's limit: the stage limit acts.
    CHAT_TIMEOUT_MS: '30000',
    JOB_MAX_ATTEMPTS: '3',
    STAGE_TIME_LIMITS: `answer=${ANSWER_LIMIT_MS}`,
    STAGE_STALL_FLOOR_MS: '300',
  });
  await t.startWorker({ concurrency: 2 });
});
after(async () => {
  await t.close();
  await fake.close();
});

async function submit(file: string, fields: Record<string, string> = {}): Promise<string> {
  const mp = multipart(
    { prompt: 'What is in this file?', ...fields },
    { name: file.split('/').pop()!, data: await fs.readFile(file) },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().analysis_id as string;
}

interface StageView {
  name: string;
  status: string;
  reason: string | null;
  error_code: string | null;
  attempt: number;
  started_at: string | null;
  finished_at: string | null;
  stalled_at: string | null;
  duration_ms: number | null;
}

async function status(id: string) {
  const res = await t.app.inject({ url: `/api/media/status/${id}`, headers: auth(t.tenantA.key) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const stageOf = (s: { stages: StageView[] }, name: string) => s.stages.find((x) => x.name === name);

function finished(id: string, ms = 30_000) {
  return waitFor(async () => {
    const s = await status(id);
    return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : null;
  }, ms);
}

describe('per-stage status', () => {
  test('a running analysis shows current_stage and the stage list; a slow adapter is flagged stalled, then aborted and retried', async () => {
    // The model hangs on the first call and answers on the second (the retry).
    fake.script.chat = ['hang', 'ok'];
    const chatCalls = () => fake.requests.filter((q) => q.path === '/v1/chat/completions').length;
    const callsBefore = chatCalls();
    const id = await submit(await fixtures.text());

    // The stages before the answer (the embedding model's first load among them) can take
    // well over 15 s on a loaded CI machine; only the answer stage's own limit is timed.
    const running = await waitFor(async () => {
      const s = await status(id);
      return s.current_stage === 'answer' ? s : null;
    }, 90_000);
    assert.equal(running.status, 'processing');
    assert.deepEqual(
      running.stages.map((s: StageView) => s.name),
      [
        'intake',
        'probe',
        'shots',
        'frames',
        'contact_sheet',
        'audio',
        'transcription',
        'image',
        'document',
        'frame_ocr',
        'vision',
        'people',
        'understanding',
        'answer',
        'outputs',
      ],
    );
    assert.equal(stageOf(running, 'intake')!.status, 'done');
    assert.equal(stageOf(running, 'document')!.status, 'done');
    assert.equal(stageOf(running, 'frames')!.status, 'skipped');
    assert.match(stageOf(running, 'frames')!.reason!, /not a video/);
    assert.equal(stageOf(running, 'contact_sheet')!.reason, 'needs frames, which frames did not produce (skipped)');
    assert.equal(stageOf(running, 'outputs')!.status, 'pending');
    assert.ok(['running', 'stalled'].includes(stageOf(running, 'answer')!.status));

    // With no history, a stage is flagged stalled at half its hard limit.
    const stalled = await waitFor(async () => {
      const s = await status(id);
      return stageOf(s, 'answer')?.status === 'stalled' ? s : null;
    });
    assert.equal(stalled.current_stage, 'answer', 'a stalled stage is still the current one');
    assert.ok(stageOf(stalled, 'answer')!.stalled_at);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /media_analysis_stage_stalls_total\{stage="answer"\} [1-9]/);
    assert.ok(t.logs.some((l) => l.includes('"stage":"answer"') && l.includes('stage stalled')));

    // Past the hard limit: aborted (STAGE_TIMEOUT, transient), the job retried, the second call answers.
    const done = await finished(id);
    assert.equal(done.status, 'completed', done.error_message);
    assert.equal(done.partial, false);
    assert.ok(done.results.answer.text, 'the retry got the answer');
    assert.equal(chatCalls() - callsBefore, 2);
    const answer = stageOf(done, 'answer')!;
    assert.equal(answer.status, 'done');
    assert.equal(answer.attempt, 2);
    assert.equal(done.current_stage, null);
    const requeues = await t.db.db
      .selectFrom('audit_log')
      .select('action')
      .where('record_id', '=', id)
      .where('action', '=', 'requeue')
      .execute();
    assert.equal(requeues.length, 1, 'retried once');
    assert.ok(
      t.logs.some((l) => l.includes(id) && l.includes('"code":"STAGE_TIMEOUT"') && l.includes('retrying later')),
      'the abort is a transient STAGE_TIMEOUT',
    );
  });

  test('a failing optional stage leaves the analysis completed with partial: true and the stage listed', async () => {
    fake.script.chat = ['400'];
    const id = await submit(await fixtures.text(), { prompt: 'partial please' });
    const s = await finished(id);
    assert.equal(s.status, 'completed', s.error_message);
    assert.equal(s.partial, true);
    assert.deepEqual(s.failed_stages, ['answer'], JSON.stringify(s.stages));
    assert.equal(s.results.partial, true);
    assert.equal(s.results.failed_stages[0].stage, 'answer');
    assert.equal(s.results.failed_stages[0].error_code, 'PROVIDER_REJECTED');
    const answer = stageOf(s, 'answer')!;
    assert.equal(answer.status, 'failed');
    assert.equal(answer.error_code, 'PROVIDER_REJECTED');
    assert.equal(stageOf(s, 'outputs')!.status, 'done', 'later stages still ran');
    assert.ok(s.results.document.characters > 0, 'the local sections are kept');
    fake.script.chat = ['ok'];
  });

  test(
    'a required stage failing permanently still fails the analysis with its code',
    { skip: !hasFfmpeg() },
    async () => {
      // An MP4 cut after its first 2 KB: the bytes say video, the probe cannot read it.
      const whole = await fs.readFile(await fixtures.video());
      const truncated = `${t.storageRoot}/../truncated-${process.pid}.mp4`;
      await fs.writeFile(truncated, whole.subarray(0, 2048));
      const s = await finished(await submit(truncated, { prompt: 'truncated' }));
      await fs.rm(truncated, { force: true });
      assert.equal(s.status, 'failed');
      const failed = s.stages.filter((x: StageView) => x.status === 'failed');
      assert.deepEqual(
        failed.map((x: StageView) => x.name),
        ['probe'],
      );
      assert.equal(failed[0].error_code, s.error_code);
      assert.equal(s.partial, false);
      assert.equal(stageOf(s, 'frames')!.status, 'pending', 'nothing after the failed probe ran');
    },
  );
});

describe('concurrency', { skip: !hasFfmpeg() && 'ffmpeg is not installed' }, () => {
  test('independent stages of one video overlap in time (shots beside audio)', async () => {
    fake.script.chat = ['ok'];
    const id = await submit(await fixtures.video(), { prompt: 'overlap' });
    const s = await finished(id, 120_000);
    assert.equal(s.status, 'completed', s.error_message);
    // Shots and audio both need only the probe; frames wait for the shot plan.
    const frames = stageOf(s, 'shots')!;
    const audio = stageOf(s, 'audio')!;
    assert.equal(stageOf(s, 'frames')!.status, 'done');
    assert.equal(frames.status, 'done');
    assert.equal(audio.status, 'done');
    const [fs0, fs1] = [Date.parse(frames.started_at!), Date.parse(frames.finished_at!)];
    const [as0, as1] = [Date.parse(audio.started_at!), Date.parse(audio.finished_at!)];
    assert.ok(fs0 < as1 && as0 < fs1, `shots ${fs0}–${fs1} and audio ${as0}–${as1} overlap`);
    // The answer waited for everything it may show the model.
    const answer = stageOf(s, 'answer')!;
    const contactSheet = stageOf(s, 'contact_sheet')!;
    assert.ok(Date.parse(answer.started_at!) >= Date.parse(contactSheet.finished_at!));
  });
});

describe('learning and migration', () => {
  test('expected durations are learned per unit from finished runs', async () => {
    const db = t.db.db;
    const runs = [
      [1, 1_000],
      [2, 4_000],
      [4, 12_000],
    ] as const;
    for (const [i, [units, ms]] of runs.entries()) {
      const id = await submit(await fixtures.text(), { prompt: `learning ${i}` });
      await analysisStageRepository.plan(db, id, t.tenantA.tenant, ['learned_stage'], 1);
      await analysisStageRepository.start(db, id, 'learned_stage', { units, unit: 'minute' });
      await analysisStageRepository.done(db, id, 'learned_stage', ms);
      if (i < runs.length - 1)
        assert.equal(await analysisStageRepository.learnedRate(db, 'learned_stage', 'minute'), null, 'too few runs');
    }
    assert.deepEqual(
      await analysisStageRepository.learnedRate(db, 'learned_stage', 'minute'),
      { msPerUnit: 2_000, runs: 3 },
      'median of 1000, 2000 and 3000 ms per minute',
    );
    assert.equal(await analysisStageRepository.learnedRate(db, 'learned_stage', 'page'), null, 'per unit');
  });

  test('migration 0006 goes down and up again', async () => {
    const db = await createTestDatabase();
    try {
      const names = Object.keys(MIGRATIONS);
      const steps = names.length - names.indexOf('0006-analysis-stages');
      const undone = await rollback(db.db as unknown as Kysely<unknown>, steps);
      assert.ok(undone.includes('Down 0006-analysis-stages: Success'), undone.join('; '));
      const gone = await db.pool.query("SELECT to_regclass('analysis_stages') AS t");
      assert.equal(gone.rows[0].t, null);
      await migrateToLatest(db.db as unknown as Kysely<unknown>, db.pool);
      const back = await db.pool.query("SELECT to_regclass('analysis_stages') AS t");
      assert.equal(back.rows[0].t, 'analysis_stages');
    } finally {
      await db.drop();
    }
  });
});
