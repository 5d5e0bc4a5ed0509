/** The archive: batches, month partitions, reads of archived rows, restore, no long locks. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { archiveRepository } from '../src/persistence/archive.repository.ts';
import { archiveOldAnalyses, prepareArchive } from '../src/domain/analysis/archive.service.ts';
import { repositories } from '../src/persistence/repositories.ts';

let db: TestDatabase;
let tenantColumn: string;
before(async () => {
  db = await createTestDatabase();
  const r = await db.pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = 'media_analysis_requests' AND column_name IN ('tenant_id', 'created_by')`,
  );
  tenantColumn = r.rows[0]!.column_name;
});
after(async () => {
  await db.drop();
});

/** An analysis in `status`, last changed `daysAgo` days ago. */
async function seed(status: string, daysAgo: number, tenant = 'tenant-a'): Promise<string> {
  const id = crypto.randomUUID();
  const done = ['completed', 'failed', 'deleted'].includes(status);
  await db.pool.query(
    `INSERT INTO media_analysis_requests
       (id, correlation_id, prompt, prompt_hash, source_url, media_type, status, progress, ${tenantColumn},
        created_at, updated_at, completed_at, deleted_at, results)
     VALUES ($1::uuid, 'c-' || $1::text, 'describe', repeat('a', 64), 'https://example.com/a.mp4', 'video', $2::text,
             CASE WHEN $2::text = 'completed' THEN 100 ELSE 0 END, $3,
             now() - make_interval(days => $4::int + 1), now() - make_interval(days => $4::int),
             CASE WHEN $5::boolean THEN now() - make_interval(days => $4::int) END,
             CASE WHEN $2::text = 'deleted' THEN now() - make_interval(days => $4::int) END,
             CASE WHEN $2::text = 'completed' THEN '{"summary":"ok"}'::jsonb END)`,
    [id, status, tenant, daysAgo, done],
  );
  return id;
}

test('old finished analyses move in batches to month partitions; recent and running ones stay', async () => {
  const oldDone = await seed('completed', 100);
  const oldFailed = await seed('failed', 120);
  const oldDeleted = await seed('deleted', 95);
  const recent = await seed('completed', 3);
  const running = await seed('processing', 100);
  await db.pool.query(
    `INSERT INTO media_analysis_results (analysis_id, provider, model, prompt_used, latency_ms, answer)
     VALUES ($1, 'fake', 'm1', 'describe', 12, 'a cat')`,
    [oldDone],
  );
  const file = await db.pool.query<{ id: string }>(
    `INSERT INTO media_files (analysis_id, area, storage_path, relative_path, size_bytes)
     VALUES ($1::uuid, 'outputs', '/x', 'outputs/2026-01-01/' || $1::text || '/r.json', 10) RETURNING id`,
    [oldDone],
  );

  // A live file holds its analysis back; prepareArchive makes it due for the cleanup.
  assert.equal(await prepareArchive(db.db, repositories, 90), 1);
  assert.equal(
    await archiveOldAnalyses(db.db, repositories, 90, { batch: 1 }),
    2,
    'failed and deleted move, in batches of 1',
  );
  await db.pool.query(`UPDATE media_files SET deleted_at = now() WHERE id = $1`, [file.rows[0]!.id]);
  assert.equal(await archiveOldAnalyses(db.db, repositories, 90, { batch: 1 }), 1);

  const live = await db.pool.query<{ id: string }>('SELECT id FROM media_analysis_requests ORDER BY id');
  assert.deepEqual(live.rows.map((r) => r.id).sort(), [recent, running].sort());
  const parts = await db.pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'media_analysis_archive'::regclass ORDER BY 1`,
  );
  assert.ok(parts.rows.length >= 1 && parts.rows.every((p) => /^media_analysis_archive_\d{4}_\d{2}$/.test(p.name)));
  const placed = await db.pool.query<{ part: string; id: string }>(
    `SELECT tableoid::regclass::text AS part, id FROM media_analysis_archive`,
  );
  for (const row of placed.rows) {
    const created = await archiveRepository.find(db.db, row.id);
    const month = created!.created_at.toISOString().slice(0, 7).replace('-', '_');
    assert.equal(row.part, `media_analysis_archive_${month}`, 'each row sits in its month');
  }

  const archived = await archiveRepository.find(db.db, oldDone);
  assert.ok(archived);
  assert.equal(archived.status, 'completed');
  assert.deepEqual(archived.results, { summary: 'ok' });
  assert.ok(archived.created_at instanceof Date);
  assert.equal(await archiveRepository.find(db.db, recent), null);

  const history = await archiveRepository.listForTenant(db.db, 'tenant-a', 10);
  assert.deepEqual(
    history.map((h) => h.id),
    [oldDeleted, oldDone, oldFailed],
    'newest first',
  );
  const page2 = await archiveRepository.listForTenant(db.db, 'tenant-a', 10, {
    createdAt: history[0]!.created_at,
    id: history[0]!.id,
  });
  assert.deepEqual(
    page2.map((h) => h.id),
    [oldDone, oldFailed],
  );
});

test('restore brings an analysis and its model results back', async () => {
  const id = await seed('failed', 200);
  await db.pool.query(
    `INSERT INTO media_analysis_results (analysis_id, provider, model, prompt_used, latency_ms)
     VALUES ($1, 'fake', 'm1', 'describe', 5)`,
    [id],
  );
  assert.ok((await archiveOldAnalyses(db.db, repositories, 90)) >= 1);
  assert.equal((await db.pool.query('SELECT 1 FROM media_analysis_results WHERE analysis_id = $1', [id])).rowCount, 0);
  const restored = await db.db.transaction().execute((trx) => archiveRepository.restore(trx, id));
  assert.equal(restored, true);
  const row = await db.pool.query(
    `SELECT status, ${tenantColumn} AS tenant FROM media_analysis_requests WHERE id = $1`,
    [id],
  );
  assert.deepEqual(row.rows[0], { status: 'failed', tenant: 'tenant-a' });
  assert.equal((await db.pool.query('SELECT 1 FROM media_analysis_results WHERE analysis_id = $1', [id])).rowCount, 1);
  assert.equal(await archiveRepository.find(db.db, id), null);
  assert.equal(await db.db.transaction().execute((trx) => archiveRepository.restore(trx, id)), false);
});

test('a row another transaction holds is skipped, not waited for', async () => {
  const held = await seed('completed', 150);
  const free = await seed('completed', 150);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM media_analysis_requests WHERE id = $1 FOR UPDATE', [held]);
    await sql`SET lock_timeout = '1s'`.execute(db.db);
    const started = Date.now();
    await archiveOldAnalyses(db.db, repositories, 90);
    assert.ok(Date.now() - started < 5_000);
    assert.ok(await archiveRepository.find(db.db, free));
    assert.equal(await archiveRepository.find(db.db, held), null);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  assert.equal(await archiveOldAnalyses(db.db, repositories, 90), 1, 'taken by the next run');
});
