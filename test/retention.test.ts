/** Retention cleanup (batches, one run at a time, audit) and storage verification. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { multipart } from './helpers/multipart.ts';
import { runCleanup, verifyStorage } from '../src/storage/retention.ts';
import { CLEANUP_LOCK_ID } from '../src/persistence/retention.repository.ts';

const run = promisify(execFile);
let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

async function upload(name: string): Promise<{ id: string; path: string }> {
  const mp = multipart({ prompt: 'keep?' }, { name, data: Buffer.from(`contents of ${name}\n`) });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/media/analyze',
    headers: { ...auth(t.tenantA.key), ...mp.headers },
    payload: mp.payload,
  });
  const id = res.json().analysis_id as string;
  const row = await t.db.db
    .selectFrom('media_files')
    .select('relative_path')
    .where('analysis_id', '=', id)
    .executeTakeFirstOrThrow();
  return { id, path: row.relative_path };
}

test('expired files are removed in batches, rows marked deleted, the run audited; live files stay', async () => {
  const expired = [await upload('a.txt'), await upload('b.txt'), await upload('c.txt')];
  const live = await upload('d.txt');
  await t.db.db
    .updateTable('media_files')
    .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
    .where(
      'analysis_id',
      'in',
      expired.map((e) => e.id),
    )
    .execute();
  const report = await runCleanup(t.db.db, t.pipeline.storage, t.logger, { batch: 2 });
  assert.equal(report.ran, true);
  assert.equal(report.files, 3);
  assert.ok(report.bytes > 0);
  assert.ok(report.disk_usage_ratio !== null && report.disk_usage_ratio > 0);
  for (const e of expired) assert.equal(await t.pipeline.storage.exists(e.path), false);
  assert.equal(await t.pipeline.storage.exists(live.path), true);
  const rows = await t.db.db.selectFrom('media_files').select(['analysis_id', 'deleted_at']).execute();
  assert.equal(rows.filter((r) => r.deleted_at).length, 3);
  const audit = await t.db.db.selectFrom('audit_log').selectAll().where('action', '=', 'cleanup').execute();
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.performed_by, 'system:cleanup');
  assert.equal((audit[0]!.new_values as { files: number }).files, 3);
});

test('never runs twice at once', async () => {
  const holder = new pg.Client({ connectionString: t.db.url });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1)', [CLEANUP_LOCK_ID]);
  try {
    const r = await runCleanup(t.db.db, t.pipeline.storage, t.logger);
    assert.equal(r.ran, false);
  } finally {
    await holder.end();
  }
});

test('a soft-deleted analysis keeps its files for the grace period, then they go', async () => {
  const u = await upload('deleted.txt');
  await t.app.inject({ method: 'DELETE', url: `/api/media/${u.id}`, headers: auth(t.tenantA.key) });
  const row = await t.db.db
    .selectFrom('media_files')
    .select('expires_at')
    .where('analysis_id', '=', u.id)
    .executeTakeFirstOrThrow();
  assert.ok(row.expires_at && row.expires_at.getTime() <= Date.now() + 1000, 'the test app uses no grace');
  await runCleanup(t.db.db, t.pipeline.storage, t.logger);
  assert.equal(await t.pipeline.storage.exists(u.path), false);
});

test('verify finds files without rows and rows without files; the CLI reports them', async () => {
  const u = await upload('kept.txt');
  await fs.writeFile(`${t.storageRoot}/uploads/orphan.bin`, 'x');
  await fs.rm(t.pipeline.storage.resolve(u.path));
  const r = await verifyStorage(t.db.db, t.pipeline.storage);
  assert.deepEqual(r.filesWithoutRows, ['uploads/orphan.bin']);
  assert.deepEqual(r.rowsWithoutFiles, [u.path]);
  const env = {
    ...process.env,
    DATABASE_URL: t.db.url,
    STORAGE_ROOT: t.storageRoot,
    DATA_DIR: t.storageRoot,
    LOG_LEVEL: 'silent',
  };
  await assert.rejects(
    run(process.execPath, ['src/main/cli.ts', 'storage', 'verify'], { env }),
    (e: { stdout: string; code: number }) => {
      assert.equal(e.code, 1);
      assert.match(e.stdout, /file without row: uploads\/orphan.bin/);
      assert.match(e.stdout, new RegExp(`row without file: ${u.path}`));
      return true;
    },
  );
  const cleaned = await run(process.execPath, ['src/main/cli.ts', 'storage', 'cleanup'], { env });
  assert.match(cleaned.stdout, /"ran":true/);
});
