/**
 * The archive: finished analyses past ARCHIVE_AFTER_DAYS move, in batches, from
 * media_analysis_requests to media_analysis_archive, which is partitioned by month of
 * creation (old months can be detached and dropped or dumped as a whole). Each archived
 * row keeps the analysis as it was (`analysis`, the row as JSON, read back with
 * jsonb_populate_record so it comes out with the live table's types) and its model
 * results (`results`), so a status read or a retry can bring it back. The tenant column
 * is taken from the row under either of its names (`tenant_id`, formerly `created_by`).
 *
 * Zero-downtime rules this migration follows (see docs/decisions/zero-downtime-migrations.md):
 * - a lock timeout, so waiting behind a long transaction fails fast instead of queueing
 *   every request behind the migration;
 * - the CHECK constraint is added NOT VALID (no scan under the lock) and validated
 *   afterwards, outside the transaction (`online` below), where validation takes a lock
 *   that lets reads and writes go on;
 * - the index for the archive's batches is built CONCURRENTLY, also in `online`.
 */
import { sql, type Kysely } from 'kysely';
import type { OnlineStep } from '../online-steps.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
  await sql`
    ALTER TABLE media_analysis_requests
    ADD CONSTRAINT media_analysis_requests_completed_progress_check
    CHECK (status <> 'completed' OR progress = 100) NOT VALID`.execute(db);

  await sql`
    CREATE TABLE media_analysis_archive (
      id uuid NOT NULL,
      tenant_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('completed', 'failed', 'cancelled', 'deleted')),
      media_type text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      archived_at timestamptz NOT NULL DEFAULT now(),
      analysis jsonb NOT NULL CHECK (jsonb_typeof(analysis) = 'object'),
      results jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(results) = 'array'),
      PRIMARY KEY (id, created_at)
    ) PARTITION BY RANGE (created_at)`.execute(db);
  // Status reads by id (across partitions: one index probe each) and history per tenant.
  await sql`CREATE INDEX media_analysis_archive_id_idx ON media_analysis_archive (id)`.execute(db);
  await sql`CREATE INDEX media_analysis_archive_tenant_created_idx
    ON media_analysis_archive (tenant_id, created_at DESC, id DESC)`.execute(db);

  // The service's role may not run DDL; this function (owned by the schema owner) creates
  // a month's partition on demand, and is the only DDL the archive job needs.
  await sql`
    CREATE FUNCTION media_analysis_archive_ensure_partition(month timestamptz) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      start_at timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      name text := 'media_analysis_archive_' || to_char(start_at AT TIME ZONE 'UTC', 'YYYY_MM');
    BEGIN
      IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF media_analysis_archive FOR VALUES FROM (%L) TO (%L)',
                       name, start_at, start_at + interval '1 month');
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION media_analysis_archive_ensure_partition(timestamptz)`.execute(db);
  await sql`DROP TABLE media_analysis_archive`.execute(db);
  await sql`DROP INDEX IF EXISTS media_analysis_requests_archivable_idx`.execute(db);
  await sql`ALTER TABLE media_analysis_requests DROP CONSTRAINT media_analysis_requests_completed_progress_check`.execute(
    db,
  );
}

/** Run after the transaction, one statement at a time (see online-steps.ts). */
export const online: readonly OnlineStep[] = [
  {
    kind: 'index',
    name: 'media_analysis_requests_archivable_idx',
    sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS media_analysis_requests_archivable_idx
          ON media_analysis_requests (updated_at) WHERE status IN ('completed', 'failed', 'cancelled', 'deleted')`,
  },
  {
    kind: 'validate',
    table: 'media_analysis_requests',
    constraint: 'media_analysis_requests_completed_progress_check',
  },
];
