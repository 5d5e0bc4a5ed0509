/** The storage cleanup's SQL: one run at a time, expired media_files rows in batches. */
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** Advisory lock key of the cleanup run (one at a time across all workers). */
export const CLEANUP_LOCK_ID = 4_242_002;

export interface DueFile {
  id: string;
  relative_path: string;
  size_bytes: number;
}

export const retentionRepository = {
  /**
   * Run `fn` on one connection holding the cleanup lock, or skip it (returns false) when
   * another run holds it. The session lock is released even when `fn` throws.
   */
  async withCleanupLock(db: Db, fn: (conn: Db) => Promise<void>): Promise<boolean> {
    return db.connection().execute(async (conn) => {
      const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${CLEANUP_LOCK_ID}) AS ok`.execute(conn);
      if (!lock.rows[0]?.ok) return false;
      try {
        await fn(conn);
      } finally {
        await sql`SELECT pg_advisory_unlock(${CLEANUP_LOCK_ID})`.execute(conn);
      }
      return true;
    });
  },

  /** Files not yet deleted whose retention has passed, oldest expiry first. */
  async dueFiles(db: Db, limit: number): Promise<DueFile[]> {
    const rows = await db
      .selectFrom('media_files')
      .select(['id', 'relative_path', 'size_bytes'])
      .where('deleted_at', 'is', null)
      .where('expires_at', '<=', sql<Date>`now()`)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map((f) => ({ id: f.id, relative_path: f.relative_path, size_bytes: Number(f.size_bytes) }));
  },

  /** Relative paths of every file not yet deleted (storage verification). */
  async livePaths(db: Db): Promise<string[]> {
    const rows = await db.selectFrom('media_files').select('relative_path').where('deleted_at', 'is', null).execute();
    return rows.map((r) => r.relative_path);
  },

  /** Which of `paths` have a file row not yet deleted. */
  async livePathsAmong(db: Db, paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const rows = await db
      .selectFrom('media_files')
      .select('relative_path')
      .where('deleted_at', 'is', null)
      .where('relative_path', 'in', [...paths])
      .execute();
    return new Set(rows.map((r) => r.relative_path));
  },

  /**
   * Which of `ids` are analyses a worker may still be working on (pending or processing):
   * their folders can hold files about to be registered.
   */
  async activeAmong(db: Db, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db
      .selectFrom('media_analysis_requests')
      .select('id')
      .where('id', 'in', [...ids])
      .where('status', 'in', ['pending', 'processing'])
      .execute();
    return new Set(rows.map((r) => r.id));
  },

  async markFilesDeleted(db: Db, ids: readonly string[]): Promise<void> {
    await db
      .updateTable('media_files')
      .set({ deleted_at: sql<Date>`now()` })
      .where('id', 'in', [...ids])
      .execute();
  },
};
