/** SQL for media_files: every file stored for an analysis, with retention. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MediaFileRow } from './schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface NewMediaFile {
  analysisId: string;
  area: 'uploads' | 'frames' | 'contact-sheets' | 'outputs' | 'temp';
  storagePath: string;
  relativePath: string;
  sizeBytes: number;
  mimeType: string | null;
  sha256: string | null;
  retentionDays: number | null;
}

export const mediaFileRepository = {
  /** Insert, or refresh the live row with the same path (a re-run after a crash rewrites its files). */
  async upsert(db: Executor, f: NewMediaFile): Promise<MediaFileRow> {
    const expires = f.retentionDays === null ? null : sql<Date>`now() + make_interval(days => ${f.retentionDays})`;
    return db
      .insertInto('media_files')
      .values({
        analysis_id: f.analysisId,
        area: f.area,
        storage_path: f.storagePath,
        relative_path: f.relativePath,
        size_bytes: f.sizeBytes,
        mime_type: f.mimeType,
        sha256: f.sha256,
        retention_days: f.retentionDays,
        expires_at: expires,
      })
      .onConflict((oc) =>
        oc
          .column('relative_path')
          .where('deleted_at', 'is', null)
          .doUpdateSet((eb) => ({
            size_bytes: eb.ref('excluded.size_bytes'),
            sha256: eb.ref('excluded.sha256'),
            mime_type: eb.ref('excluded.mime_type'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async listForAnalysis(db: Executor, analysisId: string): Promise<MediaFileRow[]> {
    return db
      .selectFrom('media_files')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .execute();
  },

  async sourceFor(db: Executor, analysisId: string): Promise<MediaFileRow | undefined> {
    return db
      .selectFrom('media_files')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .where('area', '=', 'uploads')
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  },

  async setMime(db: Executor, id: string, mimeType: string): Promise<void> {
    await db.updateTable('media_files').set({ mime_type: mimeType }).where('id', '=', id).execute();
  },

  /** Make every live file of an analysis due for cleanup after `graceHours` (soft delete of the analysis). */
  async expireForAnalysis(db: Executor, analysisId: string, graceHours = 0): Promise<number> {
    const r = await db
      .updateTable('media_files')
      .set({ expires_at: sql<Date>`now() + make_interval(hours => ${graceHours})` })
      .where('analysis_id', '=', analysisId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },
};
