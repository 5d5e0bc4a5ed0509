/**
 * Retention: deletes files whose media_files row has expired (per-area retention, or
 * the grace period after an analysis was soft-deleted), in batches, at most one run
 * at a time (a PostgreSQL advisory lock), and records each run in the audit log.
 * The same run sweeps files a killed process left without a row (see orphan-sweep.ts).
 * Also `verifyStorage`: files without rows and rows without files.
 */
import fs from 'node:fs/promises';
import type { Db } from '../persistence/database.ts';
import type { Storage } from './storage.ts';
import { auditRepository } from '../persistence/audit.repository.ts';
import { idempotencyRepository } from '../persistence/idempotency.repository.ts';
import { retentionRepository } from '../persistence/retention.repository.ts';
import type { Logger } from '../observability/logger.ts';
import { sweepOrphans } from './orphan-sweep.ts';

export const CLEANUP_BATCH = 500;
export const DISK_WARNING_RATIO = 0.8;
export const DISK_CRITICAL_RATIO = 0.9;
/** STORAGE_ORPHAN_GRACE_MS's default, for callers without a configuration. */
const DEFAULT_ORPHAN_GRACE_MS = 3_600_000;

export interface CleanupReport {
  ran: boolean;
  files: number;
  bytes: number;
  missing: number;
  /** Files without a row (or half-written) older than the orphan grace period, removed. */
  orphan_files: number;
  orphan_bytes: number;
  idempotency_keys_purged: number;
  disk_usage_ratio: number | null;
}

export async function runCleanup(
  db: Db,
  storage: Storage,
  log: Logger,
  opts: { batch?: number; maxBatches?: number; orphanGraceMs?: number } = {},
): Promise<CleanupReport> {
  const batch = opts.batch ?? CLEANUP_BATCH;
  const report: CleanupReport = {
    ran: false,
    files: 0,
    bytes: 0,
    missing: 0,
    orphan_files: 0,
    orphan_bytes: 0,
    idempotency_keys_purged: 0,
    disk_usage_ratio: null,
  };
  report.ran = await retentionRepository.withCleanupLock(db, async (conn) => {
    for (let i = 0; i < (opts.maxBatches ?? 1000); i++) {
      const due = await retentionRepository.dueFiles(conn, batch);
      if (due.length === 0) break;
      for (const f of due) {
        const existed = await storage.exists(f.relative_path);
        await storage.remove(f.relative_path);
        if (existed) {
          report.files++;
          report.bytes += f.size_bytes;
        } else {
          report.missing++;
        }
      }
      await retentionRepository.markFilesDeleted(
        conn,
        due.map((f) => f.id),
      );
      if (due.length < batch) break;
    }
    const orphans = await sweepOrphans(conn, storage, opts.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS);
    report.orphan_files = orphans.files;
    report.orphan_bytes = orphans.bytes;
    // Expired Idempotency-Keys go in the same run (they are only otherwise removed when reused).
    report.idempotency_keys_purged = await idempotencyRepository.purgeExpired(db);
    if (report.files + report.missing + report.orphan_files > 0) {
      await auditRepository.record(conn, {
        table: 'media_files',
        recordId: 'retention',
        action: 'cleanup',
        newValues: { ...report, ran: true },
        actor: { id: 'system:cleanup', ip: null, correlationId: null },
      });
    }
  });
  if (!report.ran) log.info('storage cleanup already running elsewhere; skipped');
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
  const rows = await retentionRepository.livePaths(db);
  const rowSet = new Set(rows);
  const fileSet = new Set(files);
  return {
    files: files.length,
    rows: rows.length,
    filesWithoutRows: files.filter((f) => !rowSet.has(f)).sort(),
    rowsWithoutFiles: [...rowSet].filter((r) => !fileSet.has(r)).sort(),
  };
}
