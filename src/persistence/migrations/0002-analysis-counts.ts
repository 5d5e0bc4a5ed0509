/**
 * Per-tenant counters for history totals. `count(*)` over a tenant's 100k+ rows costs
 * tens of milliseconds per request; these counters make the unfiltered-by-date total
 * a sum over a few rows. A row trigger keeps them exact in the writing transaction.
 * Each connection writes to its own one of COUNTER_SLOTS rows (backend pid modulo the
 * slots), so concurrent inserts of one tenant do not queue on a single counter row, and
 * all rows of one transaction hit the same slot — no lock-order deadlocks between
 * multi-row inserts (a random slot per row deadlocked under concurrent batches).
 */
import { sql, type Kysely } from 'kysely';

export const COUNTER_SLOTS = 8;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE analysis_counts (
      tenant_id text NOT NULL,
      status text NOT NULL,
      media_type text NOT NULL,
      slot smallint NOT NULL CHECK (slot >= 0 AND slot < ${sql.lit(COUNTER_SLOTS)}),
      n bigint NOT NULL,
      PRIMARY KEY (tenant_id, status, media_type, slot)
    )`.execute(db);
  // Counter rows are always locked in key order (old/new sorted), so two
  // transactions moving analyses in opposite directions cannot deadlock.
  await sql`
    CREATE FUNCTION analysis_counts_bump(t text, st text, mt text, delta int) RETURNS void LANGUAGE sql AS $$
      INSERT INTO analysis_counts AS c (tenant_id, status, media_type, slot, n)
      VALUES (t, st, mt, (pg_backend_pid() % ${sql.lit(COUNTER_SLOTS)})::smallint, delta)
      ON CONFLICT (tenant_id, status, media_type, slot) DO UPDATE SET n = c.n + delta
    $$`.execute(db);
  await sql`
    CREATE FUNCTION analysis_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM analysis_counts_bump(NEW.created_by, NEW.status, NEW.media_type, 1);
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM analysis_counts_bump(OLD.created_by, OLD.status, OLD.media_type, -1);
      ELSIF (OLD.created_by, OLD.status, OLD.media_type) = (NEW.created_by, NEW.status, NEW.media_type) THEN
        RETURN NULL;
      ELSIF (OLD.created_by, OLD.status, OLD.media_type) < (NEW.created_by, NEW.status, NEW.media_type) THEN
        PERFORM analysis_counts_bump(OLD.created_by, OLD.status, OLD.media_type, -1);
        PERFORM analysis_counts_bump(NEW.created_by, NEW.status, NEW.media_type, 1);
      ELSE
        PERFORM analysis_counts_bump(NEW.created_by, NEW.status, NEW.media_type, 1);
        PERFORM analysis_counts_bump(OLD.created_by, OLD.status, OLD.media_type, -1);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_counts
    AFTER INSERT OR DELETE OR UPDATE OF status, media_type, created_by ON media_analysis_requests
    FOR EACH ROW EXECUTE FUNCTION analysis_counts_apply()`.execute(db);
  await sql`
    INSERT INTO analysis_counts (tenant_id, status, media_type, slot, n)
    SELECT created_by, status, media_type, 0, count(*) FROM media_analysis_requests GROUP BY 1, 2, 3`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_counts ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_counts_apply()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_counts_bump(text, text, text, int)`.execute(db);
  await sql`DROP TABLE IF EXISTS analysis_counts`.execute(db);
}
