/**
 * Retention: deletes files whose media_files row has expired (per-area retention, or
 * the grace period after an analysis was soft-deleted), in batches, at most one run
 * at a time (a PostgreSQL advisory lock), and records each run in the audit log.
 * Also `verifyStorage`: files without rows and rows without files.
 */
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from '../persistence/database.ts';
import type { Storage } from './storage.ts';
import { auditRepository } from '../persistence/audit.repository.ts';
import { idempotencyRepository } from '../persistence/idempotency.repository.ts';
import type { Logger } from '../observability/logger.ts';

/** Advisory lock key of the cleanup run (one at a time across all workers). */
export const CLEANUP_LOCK_ID = 4_242_002;
export const CLEANUP_BATCH = 500;
export const DISK_WARNING_RATIO = 0.8;
export const DISK_CRITICAL_RATIO = 0.9;

export interface CleanupReport {
  ran: boolean;
  files: number;
  bytes: number;
  missing: number;
  idempotency_keys_purged: number;
  disk_usage_ratio: number | null;
}

export async function runCleanup(
  db: Db,
  storage: Storage,
  log: Logger,
  opts: { batch?: number; maxBatches?: number } = {},
): Promise<CleanupReport> {
  const batch = opts.batch ?? CLEANUP_BATCH;
  const report: CleanupReport = {
    ran: false,
    files: 0,
    bytes: 0,
    missing: 0,
    idempotency_keys_purged: 0,
    disk_usage_ratio: null,
  };
  await db.connection().execute(async (conn) => {
    const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${CLEANUP_LOCK_ID}) AS ok`.execute(conn);
    if (!lock.rows[0]?.ok) {
      log.info('storage cleanup already running elsewhere; skipped');
      return;
    }
    report.ran = true;
    try {
      for (let i = 0; i < (opts.maxBatches ?? 1000); i++) {
        const due = await conn
          .selectFrom('media_files')
          .select(['id', 'relative_path', 'size_bytes'])
          .where('deleted_at', 'is', null)
          .where('expires_at', '<=', sql<Date>`now()`)
          .orderBy('expires_at')
          .limit(batch)
          .execute();
        if (due.length === 0) break;
        for (const f of due) {
          const existed = await storage.exists(f.relative_path);
          await storage.remove(f.relative_path);
          if (existed) {
            report.files++;
            report.bytes += Number(f.size_bytes);
          } else {
            report.missing++;
          }
        }
        await conn
          .updateTable('media_files')
          .set({ deleted_at: sql<Date>`now()` })
          .where(
            'id',
            'in',
            due.map((f) => f.id),
          )
          .execute();
        if (due.length < batch) break;
      }
      // Expired Idempotency-Keys go in the same run (they are only otherwise removed when reused).
      report.idempotency_keys_purged = await idempotencyRepository.purgeExpired(db);
      if (report.files + report.missing > 0) {
        await auditRepository.record(conn, {
          table: 'media_files',
          recordId: 'retention',
          action: 'cleanup',
          newValues: { ...report },
          actor: { id: 'system:cleanup', ip: null, correlationId: null },
        });
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(${CLEANUP_LOCK_ID})`.execute(conn);
    }
  });
  const st = await fs.statfs(storage.root).catch(() => null);
  if (st) {
    report.disk_usage_ratio = Math.round((1 - st.bavail / st.blocks) * 1000) / 1000;
    if (report.disk_usage_ratio >= DISK_CRITICAL_RATIO)
      log.error({ disk_usage_ratio: report.disk_usage_ratio }, 'storage disk usage is critical (>= 90%)');
    else if (report.disk_usage_ratio >= DISK_WARNING_RATIO)
      log.warn({ disk_usage_ratio: report.disk_usage_ratio }, 'storage disk usage is high (>= 80%)');
  }
  if (report.ran) log.info(report, 'storage cleanup finished');
  return report;
}

export interface VerifyReport {
  files: number;
  rows: number;
  filesWithoutRows: string[];
  rowsWithoutFiles: string[];
}

/** Compare the stored files (local tree or object listing) with the live media_files rows. */
export async function verifyStorage(db: Db, storage: Storage): Promise<VerifyReport> {
  const files: string[] = [];
  for await (const f of storage.list()) files.push(f);
  const rows = await db.selectFrom('media_files').select('relative_path').where('deleted_at', 'is', null).execute();
  const rowSet = new Set(rows.map((r) => r.relative_path));
  const fileSet = new Set(files);
  return {
    files: files.length,
    rows: rows.length,
    filesWithoutRows: files.filter((f) => !rowSet.has(f)).sort(),
    rowsWithoutFiles: [...rowSet].filter((r) => !fileSet.has(r)).sort(),
  };
}
