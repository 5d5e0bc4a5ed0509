/**
 * The magnitude bits of each segment's embedding (64 bytes, vector-codec.ts
 * `magnitudeCode`), beside its sign bits: together a 2-bit code that the semantic index
 * holds in memory to rank its candidates before reading any back from PostgreSQL
 * (docs/decisions/0006-semantic-index.md).
 *
 * Nullable, and not backfilled: rows written before this migration (or by a worker of
 * the previous release during a rolling upgrade) have none, and the index computes their
 * bits from the stored int8 embedding when it loads them. Adding a nullable column with
 * no default does not rewrite the table; its length check is added NOT VALID here and
 * validated online (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on).
 */
import { sql, type Kysely } from 'kysely';
import type { OnlineStep } from '../online-steps.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Both statements are catalogue changes; waiting behind a long transaction for their
  // lock would queue every request behind them, so give up (and retry the migration) instead.
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`ALTER TABLE media_segments ADD COLUMN magnitude bytea`.execute(db);
  await sql`
    ALTER TABLE media_segments ADD CONSTRAINT media_segments_magnitude_length
    CHECK (magnitude IS NULL OR length(magnitude) = 64) NOT VALID`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE media_segments DROP COLUMN IF EXISTS magnitude`.execute(db);
}

export const online: readonly OnlineStep[] = [
  { kind: 'validate', table: 'media_segments', constraint: 'media_segments_magnitude_length' },
];
