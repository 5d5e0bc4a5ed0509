/**
 * Counters for inserts once per statement: the row-level trigger of 0002 stays for
 * UPDATE and DELETE, while INSERT gets a statement-level trigger that adds each
 * (tenant, status, media type) group of the new rows in one upsert — a
 * group-committed batch of creates no longer upserts the same counter row per row.
 */
import { sql, type Kysely } from 'kysely';
import { COUNTER_SLOTS } from './0002-analysis-counts.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER media_analysis_requests_counts ON media_analysis_requests`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_counts
    AFTER DELETE OR UPDATE OF status, media_type, created_by ON media_analysis_requests
    FOR EACH ROW EXECUTE FUNCTION analysis_counts_apply()`.execute(db);
  await sql`
    CREATE FUNCTION analysis_counts_insert_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO analysis_counts AS c (tenant_id, status, media_type, slot, n)
      SELECT created_by, status, media_type, (pg_backend_pid() % ${sql.lit(COUNTER_SLOTS)})::smallint, count(*)
      FROM new_rows GROUP BY created_by, status, media_type
      ORDER BY created_by, status, media_type
      ON CONFLICT (tenant_id, status, media_type, slot) DO UPDATE SET n = c.n + excluded.n;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_counts_insert
    AFTER INSERT ON media_analysis_requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_counts_insert_batch()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_counts_insert ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_counts_insert_batch()`.execute(db);
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_counts ON media_analysis_requests`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_counts
    AFTER INSERT OR DELETE OR UPDATE OF status, media_type, created_by ON media_analysis_requests
    FOR EACH ROW EXECUTE FUNCTION analysis_counts_apply()`.execute(db);
}
