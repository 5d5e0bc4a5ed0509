/** contact_sheets: one row per analysis describing its stored contact sheet. */
import type { Db } from './database.ts';

export interface NewContactSheet {
  analysisId: string;
  mediaFileId: string;
  path: string;
  framesCount: number;
  /** `{rows}x{cols}` */
  grid: string;
  /** `{width}x{height}` */
  resolution: string;
  sizeBytes: number;
  checksum: string;
}

export const contactSheetRepository = {
  /** Store the analysis's sheet; a re-run (after a crash or a retry) replaces the earlier sheet's row. */
  async replace(db: Db, sheet: NewContactSheet): Promise<void> {
    await db.deleteFrom('contact_sheets').where('analysis_id', '=', sheet.analysisId).execute();
    await db
      .insertInto('contact_sheets')
      .values({
        analysis_id: sheet.analysisId,
        media_file_id: sheet.mediaFileId,
        path: sheet.path,
        frames_count: sheet.framesCount,
        grid: sheet.grid,
        resolution: sheet.resolution,
        size_bytes: sheet.sizeBytes,
        checksum: sheet.checksum,
      })
      .execute();
  },
};
