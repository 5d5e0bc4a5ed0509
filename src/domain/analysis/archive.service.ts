/**
 * Archiving, run by the retention job: finished analyses older than ARCHIVE_AFTER_DAYS
 * move to the month-partitioned archive in batches. An analysis still holding live files
 * first has them made due (the cleanup in the same run deletes them) and moves once
 * they are gone, so the archive never points at files.
 */
import type { Db } from '../../persistence/database.ts';
import type { Repositories } from '../../persistence/repositories.ts';

/** What archiving writes through. */
export type ArchiveRepositories = Pick<Repositories, 'archive'>;

export const ARCHIVE_BATCH = 200;

/** Make the files of archivable analyses due (before the file cleanup of the same run). */
export async function prepareArchive(
  db: Db,
  repos: ArchiveRepositories,
  afterDays: number,
  batch = ARCHIVE_BATCH,
): Promise<number> {
  if (afterDays <= 0) return 0;
  return repos.archive.expireFilesOfArchivable(db, afterDays, batch * 10);
}

/** Move archivable analyses in batches of `batch` rows (each batch its own short transaction). */
export async function archiveOldAnalyses(
  db: Db,
  repos: ArchiveRepositories,
  afterDays: number,
  opts: { batch?: number; maxBatches?: number } = {},
): Promise<number> {
  if (afterDays <= 0) return 0;
  const batch = opts.batch ?? ARCHIVE_BATCH;
  let total = 0;
  for (let i = 0; i < (opts.maxBatches ?? 100); i++) {
    const moved = await repos.archive.archiveBatch(db, afterDays, batch);
    total += moved;
    if (moved < batch) break;
  }
  return total;
}
