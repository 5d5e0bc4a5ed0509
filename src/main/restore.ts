/**
 * `media-analysis restore`: the database restore (persistence: pg_restore, then row
 * counts and checksums against the manifest) followed by a check that every object a
 * live media_files row references is in the configured store (local disk or S3). The
 * two are composed here because persistence does not know the store.
 */
import type { Db } from '../persistence/database.ts';
import { restore, type RestoreReport } from '../persistence/backup.ts';
import { verifyStorage } from '../storage/retention.ts';
import type { Storage } from '../storage/storage.ts';

export interface RestoreCheckReport extends RestoreReport {
  /** False when a table does not match the manifest or a referenced object is missing. */
  ok: boolean;
  /** Objects referenced by live media_files rows after the restore. */
  objectsReferenced: number;
  /** Relative paths referenced by live rows but absent from the store, sorted. */
  missingObjects: string[];
}

/** Restore `manifestPath` into the (empty) database, then look for every referenced object in `storage`. */
export async function restoreAndCheckObjects(
  db: Db,
  url: string,
  manifestPath: string,
  storage: Storage,
  opts: { pgRestore?: string } = {},
): Promise<RestoreCheckReport> {
  const restored = await restore(db, url, manifestPath, opts);
  const verified = await verifyStorage(db, storage);
  return {
    ...restored,
    ok: restored.ok && verified.rowsWithoutFiles.length === 0,
    objectsReferenced: verified.rows,
    missingObjects: verified.rowsWithoutFiles,
  };
}

/** What the CLI prints for a restore: matches and mismatches, then the object check. */
export function describeRestore(r: RestoreCheckReport, driver: string): string[] {
  const lines: string[] = [];
  if (r.mismatches.length === 0) lines.push('restored; row counts and checksums match the manifest');
  for (const m of r.mismatches)
    lines.push(
      `MISMATCH ${m.table}: expected ${m.expected.rows} rows (${m.expected.checksum}), found ${m.actual.rows} (${m.actual.checksum})`,
    );
  if (r.missingObjects.length === 0) {
    lines.push(`all ${r.objectsReferenced} objects referenced by live media files are in the ${driver} store`);
  } else {
    for (const p of r.missingObjects) lines.push(`MISSING object: ${p}`);
    lines.push(
      `${r.missingObjects.length} of ${r.objectsReferenced} objects referenced by live media files are missing from the ${driver} store`,
    );
  }
  return lines;
}
