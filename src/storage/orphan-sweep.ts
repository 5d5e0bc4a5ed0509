/**
 * The orphan sweep: files a killed process left in the store. A worker (or an API
 * process receiving an upload) killed between writing a file and inserting its
 * media_files row leaves a file nothing points at; one killed mid-write leaves a
 * `<path>.partial-<pid>-<hex>`. Nothing else would ever remove either.
 *
 * A file is swept only when all of these hold, so a file a running analysis is about
 * to register is never touched:
 * - it sits in an analysis folder (`<area>/<day>/<analysis id>/…`); anything else in
 *   the store is not ours to judge;
 * - it is older than the grace period (mtime / LastModified: the last byte written);
 * - it has no live media_files row (checked after the listing, so a row inserted
 *   while the store was listed is seen);
 * - its analysis is not pending or processing (a worker may still be on it).
 */
import type { Db } from '../persistence/database.ts';
import { retentionRepository } from '../persistence/retention.repository.ts';
import { STORAGE_AREAS, type Storage, type StoredEntry } from './storage.ts';

/** Candidates are checked against the database this many at a time. */
const SWEEP_BATCH = 500;

const IN_ANALYSIS_FOLDER = new RegExp(
  `^(?:${STORAGE_AREAS.join('|')})/[^/]+/([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/.`,
);

export interface OrphanCandidate {
  relativePath: string;
  sizeBytes: number;
  analysisId: string;
}

/** An entry the sweep may remove if the database knows nothing of it, or null. */
export function orphanCandidate(entry: StoredEntry, cutoffMs: number): OrphanCandidate | null {
  const m = IN_ANALYSIS_FOLDER.exec(entry.relativePath);
  if (!m || entry.modifiedAt.getTime() > cutoffMs) return null;
  return { relativePath: entry.relativePath, sizeBytes: entry.sizeBytes, analysisId: m[1]! };
}

/** Remove the store's orphans older than `graceMs`; returns how many files and bytes went. */
export async function sweepOrphans(
  db: Db,
  storage: Storage,
  graceMs: number,
): Promise<{ files: number; bytes: number }> {
  const cutoff = Date.now() - graceMs;
  const removed = { files: 0, bytes: 0 };
  const flush = async (batch: OrphanCandidate[]): Promise<void> => {
    const live = await retentionRepository.livePathsAmong(
      db,
      batch.map((c) => c.relativePath),
    );
    const active = await retentionRepository.activeAmong(db, [...new Set(batch.map((c) => c.analysisId))]);
    for (const c of batch) {
      if (live.has(c.relativePath) || active.has(c.analysisId)) continue;
      await storage.remove(c.relativePath);
      removed.files++;
      removed.bytes += c.sizeBytes;
    }
  };
  let batch: OrphanCandidate[] = [];
  for await (const entry of storage.listEntries()) {
    const c = orphanCandidate(entry, cutoff);
    if (c) batch.push(c);
    if (batch.length >= SWEEP_BATCH) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  return removed;
}
