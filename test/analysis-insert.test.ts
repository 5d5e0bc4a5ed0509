/** Group commit of analysis creation: batches form under load, stay atomic, and isolate bad requests. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { AnalysisInsertBatcher, type NewAnalysis } from '../src/persistence/analysis-insert.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

function item(over: Partial<NewAnalysis> = {}): NewAnalysis {
  const id = crypto.randomUUID();
  return {
    id,
    correlationId: `c-${id}`,
    prompt: 'p',
    promptHash: 'a'.repeat(64),
    sourceUrl: 'https://example.com/x.mp4',
    originalFilename: null,
    mediaType: 'unknown',
    config: { model: 'm' },
    options: {},
    metadata: { n: 1 },
    tenantId: 'batch',
    createdAt: null,
    actor: { id: 'key-1', ip: '10.0.0.9', correlationId: `c-${id}` },
    ...over,
  };
}

test('concurrent creates are grouped; every analysis gets its own job and audit row', async () => {
  const batcher = new AnalysisInsertBatcher(db.db, { maxAttempts: 5, maxInFlight: 1, maxBatch: 16 });
  const items = Array.from({ length: 40 }, () => item());
  const created = await Promise.all(items.map((i) => batcher.insert(i)));
  assert.deepEqual(
    created.map((a) => a.id),
    items.map((i) => i.id),
  );
  assert.ok(batcher.stats.largestBatch > 1, `largest batch ${batcher.stats.largestBatch}`);
  assert.ok(batcher.stats.statements < 40);
  const jobs = await sql<{
    key: string;
    id: number;
    payload: { analysisId: string; correlationId: string };
  }>`SELECT key, id, payload FROM graphile_worker._private_jobs`.execute(db.db);
  for (const a of created) {
    const job = jobs.rows.find((j) => j.key === `analysis:${a.id}`);
    assert.ok(job, `job for ${a.id}`);
    assert.equal(job.id, a.jobId);
    assert.deepEqual(job.payload, { analysisId: a.id, correlationId: a.correlationId });
    assert.deepEqual(a.config, { model: 'm' });
  }
  const audits = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'create' AND ip_address = '10.0.0.9'`.execute(db.db);
  assert.equal(audits.rows[0]!.n, 40);
});

test('a bad request in a batch fails alone; its neighbours are created', async () => {
  const batcher = new AnalysisInsertBatcher(db.db, { maxAttempts: 5, maxInFlight: 1, maxBatch: 16 });
  const good = Array.from({ length: 6 }, () => item());
  const bad = item({ mediaType: 'hologram' });
  const results = await Promise.allSettled(
    [item(), ...good.slice(0, 3), bad, ...good.slice(3)].map((i) => batcher.insert(i)),
  );
  const rejected = results.filter((r) => r.status === 'rejected');
  assert.equal(rejected.length, 1);
  assert.match(String((rejected[0] as PromiseRejectedResult).reason), /check constraint/);
  const orphanJobs = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${'analysis:' + bad.id}`.execute(db.db);
  assert.equal(orphanJobs.rows[0]!.n, 0, 'no job without its row');
  const rows = await db.db
    .selectFrom('media_analysis_requests')
    .select('id')
    .where(
      'id',
      'in',
      good.map((g) => g.id),
    )
    .execute();
  assert.equal(rows.length, good.length);
});
