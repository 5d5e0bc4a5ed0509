/**
 * Transcript windows stored before this release have no `sure_tsv` (before 0014: search
 * matched them by words the engine all but guessed) or no unsure words marked in `text`
 * (0014 on: hits showed those words as heard). Since this release every transcript window
 * is stored with `sure_tsv` and its marks, so one without either is an old row; the
 * workers' segment backfill (domain/search/segment-backfill.ts) marks and completes them
 * in batches through this partial index, which holds only those rows (and is empty once
 * the backfill is done). Built CONCURRENTLY: reads and writes go on.
 */
import { sql, type Kysely } from 'kysely';
import type { OnlineStep } from '../online-steps.ts';

export async function up(_db: Kysely<unknown>): Promise<void> {
  // Nothing in the migration's transaction: the index is an online step.
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS media_segments_transcript_without_sure_idx`.execute(db);
}

export const online: readonly OnlineStep[] = [
  {
    kind: 'index',
    name: 'media_segments_transcript_without_sure_idx',
    sql:
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS media_segments_transcript_without_sure_idx ON media_segments (id) ' +
      "WHERE kind = 'transcript' AND (sure_tsv IS NULL OR (sure_tsv <> tsv AND strpos(text, '?]') = 0))",
  },
];
