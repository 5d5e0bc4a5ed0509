/**
 * The magnitude bits of each segment's embedding (64 bytes, vector-codec.ts
 * `magnitudeCode`), beside its sign bits: together a 2-bit code that the semantic index
 * holds in memory to rank its candidates before reading any back from PostgreSQL
 * (docs/decisions/0006-semantic-index.md).
 *
 * Nullable: rows written before this migration (or by a worker of the previous release
 * during a rolling upgrade) have none until the workers' backfill task fills them in
 * (domain/search/segment-backfill.ts, in batches, through the partial index below);
 * meanwhile the index computes their bits from the stored int8 embedding when it loads
 * them. Adding a nullable column with no default does not rewrite the table; its length
 * check is added NOT VALID here and validated online (a SHARE UPDATE EXCLUSIVE lock:
 * reads and writes go on), and the partial index is built CONCURRENTLY.
 */
import { sql, type Kysely } from 'kysely';
import type { OnlineStep } from '../online-steps.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Both statements are catalogue changes; waiting behind a long transaction for their
  // lock would queue every request behind them, so the migration fails instead (run it again).
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`ALTER TABLE media_segments ADD COLUMN magnitude bytea`.execute(db);
  await sql`
    ALTER TABLE media_segments ADD CONSTRAINT media_segments_magnitude_length
    CHECK (magnitude IS NULL OR length(magnitude) = 64) NOT VALID`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`DROP INDEX IF EXISTS media_segments_without_magnitude_idx`.execute(db);
  await sql`ALTER TABLE media_segments DROP COLUMN IF EXISTS magnitude`.execute(db);
}

export const online: readonly OnlineStep[] = [
  { kind: 'validate', table: 'media_segments', constraint: 'media_segments_magnitude_length' },
  {
    kind: 'index',
    name: 'media_segments_without_magnitude_idx',
    sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS media_segments_without_magnitude_idx ON media_segments (id) WHERE magnitude IS NULL',
  },
];
