/**
 * `restore` checks, after the row counts and checksums, that every object a live
 * media_files row references is in the configured store: local disk (library call)
 * and S3 (the CLI against an S3-protocol server), with a referenced object deleted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestS3, S3RVER_CREDENTIALS } from './helpers/s3.ts';
import { backup } from '../src/persistence/backup.ts';
import { restoreAndCheckObjects } from '../src/main/restore.ts';
import { LocalFileStorage, sourcePath, type Storage } from '../src/storage/storage.ts';
import { S3Storage } from '../src/storage/s3-storage.ts';

const run = promisify(execFile);
const hasPgDump = spawnSync('pg_dump', ['--version']).status === 0;
let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ma-restore-objects-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Three analyses, each with a stored source object and its media_files row; a fourth
 * row is soft-deleted and its object already gone (not referenced any more).
 * Backs the database up into `out` and returns the manifest path and the live paths.
 */
async function seedAndBackUp(storage: Storage, out: string): Promise<{ manifest: string; paths: string[] }> {
  const source = await createTestDatabase();
  try {
    const paths: string[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await source.pool.query<{ id: string; created_at: Date }>(
        `INSERT INTO media_analysis_requests (correlation_id, prompt, prompt_hash, source_url, media_type, status, tenant_id)
         VALUES ($1, $1, md5($1) || md5($1), 'https://example.com/a.mp4', 'video', 'pending', 't0') RETURNING id, created_at`,
        [`prompt ${i}`],
      );
      const p = sourcePath(a.rows[0]!.id, a.rows[0]!.created_at);
      const deleted = i === 3;
      if (!deleted) {
        await storage.writeBuffer(p, `bytes of ${i}`);
        paths.push(p);
      }
      await source.pool.query(
        `INSERT INTO media_files (analysis_id, area, storage_path, relative_path, size_bytes, deleted_at)
         VALUES ($1, 'uploads', $2, $2, 10, $3)`,
        [a.rows[0]!.id, p, deleted ? new Date() : null],
      );
    }
    const m = await backup(source.db, source.url, out);
    return { manifest: path.join(out, `${m.dump_file}.manifest.json`), paths: paths.sort() };
  } finally {
    await source.drop();
  }
}

async function emptyDatabase(): Promise<TestDatabase> {
  return createTestDatabase({ migrated: false });
}

test(
  'local store: every referenced object present → ok; a deleted one is reported by its path',
  { skip: !hasPgDump && 'pg_dump is not installed' },
  async () => {
    const storage = new LocalFileStorage(path.join(dir, 'local-store'));
    const { manifest, paths } = await seedAndBackUp(storage, path.join(dir, 'local-backup'));

    const complete = await emptyDatabase();
    try {
      const r = await restoreAndCheckObjects(complete.db, complete.url, manifest, storage);
      assert.deepEqual(
        { ok: r.ok, mismatches: r.mismatches, referenced: r.objectsReferenced, missing: r.missingObjects },
        { ok: true, mismatches: [], referenced: 3, missing: [] },
      );
    } finally {
      await complete.drop();
    }

    await fs.rm(storage.resolve(paths[1]!));
    const broken = await emptyDatabase();
    try {
      const r = await restoreAndCheckObjects(broken.db, broken.url, manifest, storage);
      assert.equal(r.ok, false);
      assert.deepEqual(r.mismatches, [], 'the database itself restored fine');
      assert.deepEqual(r.missingObjects, [paths[1]]);
    } finally {
      await broken.drop();
    }
  },
);

test(
  'S3 store: every object present → ok; through the CLI a deleted one is reported and the command exits 1',
  { skip: !hasPgDump && 'pg_dump is not installed' },
  async () => {
    const s3 = await startTestS3();
    const storage = new S3Storage(await s3.settings('media/'), { credentials: S3RVER_CREDENTIALS });
    try {
      const { manifest, paths } = await seedAndBackUp(storage, path.join(dir, 's3-backup'));
      const cli = async (url: string) =>
        run(process.execPath, ['src/main/cli.ts', 'restore', manifest], {
          env: {
            ...process.env,
            ...s3.env('media/'),
            DATABASE_URL: url,
            DATA_DIR: path.join(dir, 'cli-data'),
            LOG_LEVEL: 'silent',
          },
        });

      const complete = await emptyDatabase();
      try {
        const r = await restoreAndCheckObjects(complete.db, complete.url, manifest, storage);
        assert.deepEqual([r.ok, r.objectsReferenced, r.missingObjects], [true, 3, []]);
      } finally {
        await complete.drop();
      }

      await storage.remove(paths[0]!);
      const broken = await emptyDatabase();
      try {
        await assert.rejects(cli(broken.url), (e: { code: number; stdout: string }) => {
          assert.equal(e.code, 1);
          assert.match(e.stdout, /row counts and checksums match/);
          assert.ok(e.stdout.includes(`MISSING object: ${paths[0]}`), e.stdout);
          assert.match(e.stdout, /1 of 3 objects referenced by live media files are missing from the s3 store/);
          return true;
        });
      } finally {
        await broken.drop();
      }
    } finally {
      await storage.close();
      await s3.stop();
    }
  },
);
