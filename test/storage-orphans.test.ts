/**
 * The cleanup sweeps what a killed worker leaves in the store: half-written
 * `.partial-` files and stored files that never got their media_files row. Only past
 * STORAGE_ORPHAN_GRACE_MS (by mtime / LastModified), only inside an analysis folder,
 * never a file with a live row and never in the folder of an analysis still pending
 * or processing (its worker may be about to register it). Both drivers, real
 * PostgreSQL, a real S3-protocol server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { seedCompletedAnalysis } from './helpers/console-seed.ts';
import { startTestS3, S3RVER_CREDENTIALS, type TestS3 } from './helpers/s3.ts';
import { runCleanup } from '../src/storage/retention.ts';
import { S3Storage } from '../src/storage/s3-storage.ts';
import { mediaFileRepository } from '../src/persistence/media-file.repository.ts';
import type { Storage } from '../src/storage/storage.ts';

const HOUR = 3_600_000;
let t: TestApp;
let s3: TestS3;
let s3Store: S3Storage;
before(async () => {
  t = await createTestApp();
  s3 = await startTestS3();
  s3Store = new S3Storage(await s3.settings('orphans/'), { credentials: S3RVER_CREDENTIALS });
});
after(async () => {
  await s3Store.close();
  await s3.stop();
  await t.close();
});

const png = Buffer.from('not really a frame');

/** A completed analysis whose source and first frame have rows. */
async function seeded(): Promise<{ id: string; dir: (area: string) => string }> {
  const id = await seedCompletedAnalysis(t, {
    tenant: t.tenantA.tenant,
    filename: 'clip.mp4',
    mediaType: 'video',
    results: {},
    files: [
      { area: 'uploads', name: 'source', data: Buffer.from('source bytes'), mime: 'video/mp4' },
      { area: 'frames', name: 'frame-01.jpg', data: png, mime: 'image/jpeg' },
    ],
  });
  return { id, dir: (area) => `${area}/seed/${id}` };
}

async function ageLocal(relativePath: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await fs.utimes(t.pipeline.storage.resolve(relativePath), when, when);
}

async function register(storage: Storage, analysisId: string, relativePath: string): Promise<void> {
  const stat = await storage.stat(relativePath);
  await mediaFileRepository.upsert(t.db.db, {
    analysisId,
    area: 'frames',
    storagePath: relativePath,
    relativePath,
    sizeBytes: stat!.sizeBytes,
    mimeType: 'image/jpeg',
    sha256: null,
    retentionDays: null,
  });
}

test('local: an old partial file and an old frame without a row go; young, referenced, active and foreign files stay', async () => {
  assert.equal(t.config.storage.orphanGraceMs, HOUR, 'STORAGE_ORPHAN_GRACE_MS defaults to one hour');
  const storage = t.pipeline.storage;
  const done = await seeded();
  const oldPartial = `${done.dir('uploads')}/source.partial-4242-0badf00d`;
  const oldFrame = `${done.dir('frames')}/frame-02.jpg`;
  const youngPartial = `${done.dir('uploads')}/source.partial-4243-c0ffee00`;
  const youngFrame = `${done.dir('frames')}/frame-03.jpg`;
  const referenced = `${done.dir('frames')}/frame-01.jpg`;
  // A worker is on this one: whatever it has written is left to it.
  const busy = await seeded();
  await t.db.db
    .updateTable('media_analysis_requests')
    .set({ status: 'processing' })
    .where('id', '=', busy.id)
    .execute();
  const busyFrame = `${busy.dir('frames')}/frame-02.jpg`;
  // Not an analysis folder: the sweep does not know what it is, so it is never touched.
  const foreign = 'uploads/notes.txt';

  for (const p of [oldPartial, oldFrame, youngPartial, youngFrame, busyFrame, foreign]) {
    await storage.writeBuffer(p, 'leftover bytes');
  }
  for (const p of [oldPartial, oldFrame, referenced, busyFrame, foreign]) await ageLocal(p, 2 * HOUR);
  await ageLocal(youngPartial, HOUR - 5 * 60_000);

  const report = await runCleanup(t.db.db, storage, t.logger, { orphanGraceMs: t.config.storage.orphanGraceMs });
  assert.equal(report.ran, true);
  assert.equal(report.orphan_files, 2);
  assert.equal(report.orphan_bytes, 2 * 'leftover bytes'.length);
  assert.equal(await storage.exists(oldPartial), false, 'old partial file removed');
  assert.equal(await storage.exists(oldFrame), false, 'old frame without a row removed');
  for (const kept of [youngPartial, youngFrame, referenced, busyFrame, foreign, `${done.dir('uploads')}/source`])
    assert.equal(await storage.exists(kept), true, `${kept} kept`);
  const audit = await t.db.db.selectFrom('audit_log').selectAll().where('action', '=', 'cleanup').execute();
  assert.equal((audit.at(-1)?.new_values as { orphan_files?: number } | undefined)?.orphan_files, 2);

  // A second run finds nothing more.
  const again = await runCleanup(t.db.db, storage, t.logger, { orphanGraceMs: HOUR });
  assert.equal(again.orphan_files, 0);
});

test('S3: an object without a row older than the grace goes; a young one and a referenced one stay', async () => {
  const id = await seedCompletedAnalysis(t, {
    tenant: t.tenantA.tenant,
    filename: 'clip.mp4',
    mediaType: 'video',
    results: {},
  });
  const dir = `frames/2026-12-01/${id}`;
  const orphan = `${dir}/frame-02.jpg`;
  const young = `${dir}/frame-03.jpg`;
  const referenced = `${dir}/frame-01.jpg`;
  for (const p of [orphan, young, referenced]) await s3Store.writeBuffer(p, png);
  await register(s3Store, id, referenced);
  await s3.age(`orphans/${orphan}`, 2 * HOUR);
  await s3.age(`orphans/${referenced}`, 2 * HOUR);

  const report = await runCleanup(t.db.db, s3Store, t.logger, { orphanGraceMs: HOUR });
  assert.equal(report.orphan_files, 1);
  assert.equal(report.orphan_bytes, png.length);
  assert.equal(await s3Store.exists(orphan), false);
  assert.equal(await s3Store.exists(young), true);
  assert.equal(await s3Store.exists(referenced), true);
});
