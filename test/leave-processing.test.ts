/**
 * The worker's moves out of `processing` (complete, fail, requeue) against a real
 * database: a write of the run itself that lands between the read and the move (a
 * stage's progress or media type) bumps the row's version; the move is retried instead
 * of dropped, which used to leave the analysis processing with no job until the
 * reconciler failed it as WORKER_CRASHED.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { AnalysisService } from '../src/domain/analysis/analysis.service.ts';
import { applyTransition } from '../src/domain/analysis/analysis.transition.ts';
import { analysisRepository } from '../src/persistence/analysis.repository.ts';
import { leaveProcessing } from '../src/queue/analysis-outcome.ts';
import { repositories } from '../src/persistence/repositories.ts';

const actor = { id: 'test', ip: null, correlationId: null };
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

async function processing(): Promise<string> {
  const a = await new AnalysisService(db.db, repositories, { maxJobAttempts: 3, idempotencyTtlHours: 1 }).create(
    {
      tenantId: 't',
      prompt: 'p',
      sourceUrl: 'https://example.com/a.png',
      upload: null,
      mediaType: 'image',
      config: {},
      options: {},
      metadata: {},
      correlationId: 'c',
    },
    actor,
  );
  const started = await db.db
    .transaction()
    .execute((trx) => applyTransition(repositories, trx, a, 'start', { started_at: new Date() }, actor));
  assert.ok(started);
  return a.id;
}

test('a late progress write of the run does not make the worker drop its outcome', async () => {
  const id = await processing();
  const version = (await analysisRepository.findById(db.db, id))!.version;
  let tries = 0;
  const outcome = await leaveProcessing(db.db, id, async (trx, current) => {
    // The first time, a progress write lands between the read and the move.
    if (tries++ === 0) assert.ok(await analysisRepository.updateWhileProcessing(db.db, id, { progress: 40 }));
    return applyTransition(
      repositories,
      trx,
      current,
      'fail',
      { error_code: 'MEDIA_CORRUPT', error_message: 'x' },
      actor,
    );
  });
  assert.equal(tries, 2);
  assert.equal(outcome.moved, true);
  const row = (await analysisRepository.findById(db.db, id))!;
  assert.equal(row.status, 'failed');
  assert.equal(row.errorCode, 'MEDIA_CORRUPT');
  assert.equal(row.version, version + 2);
});

test('a move that finds the analysis no longer processing gives up and says why', async () => {
  const id = await processing();
  const current = (await analysisRepository.findById(db.db, id))!;
  await db.db.transaction().execute((trx) => applyTransition(repositories, trx, current, 'cancel', {}, actor));
  const outcome = await leaveProcessing(db.db, id, () => assert.fail('must not try'));
  assert.deepEqual(outcome, { moved: false, status: 'cancelled' });
});

test('a row that keeps changing under the move is given up after a few tries', async () => {
  const id = await processing();
  let tries = 0;
  const outcome = await leaveProcessing(db.db, id, async (trx, current) => {
    tries++;
    await analysisRepository.updateWhileProcessing(db.db, id, { progress: tries });
    return applyTransition(repositories, trx, current, 'fail', { error_code: 'MEDIA_CORRUPT' }, actor);
  });
  assert.deepEqual(outcome, { moved: false, status: 'changed' });
  assert.equal(tries, 5);
  assert.equal((await analysisRepository.findById(db.db, id))!.status, 'processing');
});
