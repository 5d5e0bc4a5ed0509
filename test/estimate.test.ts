/**
 * The estimate at submit comes from this installation's own completed runs of the same
 * media type (through the real app and database), and a fixed default before there are any.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { seedCompletedAnalysis } from './helpers/console-seed.ts';
import { repositories } from '../src/persistence/repositories.ts';

let t: TestApp;

before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const completedRun = (latencyMs: number) =>
  seedCompletedAnalysis(t, {
    tenant: t.tenantB.tenant,
    filename: 'talk.mp3',
    mediaType: 'audio',
    results: {},
    latencyMs,
  });

const submit = async () =>
  (
    await t.app.inject({
      method: 'POST',
      url: '/api/media/analyze',
      headers: auth(t.tenantA.key),
      payload: { prompt: 'p', media_url: 'https://example.com/a.mp3', media_type: 'audio' },
    })
  ).json();

test('estimated_seconds: a default at first, then the median of recent runs of the type', async () => {
  const first = await submit();
  assert.equal(first.estimated_seconds, 30);
  assert.equal(first.estimated_time, first.estimated_seconds);
  for (const ms of [40_000, 44_000, 45_000, 47_000, 90_000]) await completedRun(ms);
  // The medians are read again after a minute; a fresh service reads them now.
  const fresh = await t.analyses.estimate('audio', null);
  assert.equal(fresh, 30, 'the first submission cached the empty stats for a minute');
  const { AnalysisService } = await import('../src/domain/analysis/analysis.service.ts');
  const service = new AnalysisService(t.db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 1 });
  assert.equal(await service.estimate('audio', null), 45);
});
