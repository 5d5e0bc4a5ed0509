/**
 * Per-tenant counters for history totals. `count(*)` over a tenant's 100k+ rows costs
 * tens of milliseconds per request; these counters make the unfiltered-by-date total
 * a sum over a few rows. A row trigger keeps them exact in the writing transaction.
 * Each change lands on one of COUNTER_SLOTS rows chosen at random, so concurrent
 * inserts of one tenant do not queue on a single counter row.
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
  await sql`
    CREATE FUNCTION analysis_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      s smallint := floor(random() * ${sql.lit(COUNTER_SLOTS)})::smallint;
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.media_type = NEW.media_type AND OLD.created_by = NEW.created_by THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO analysis_counts AS c (tenant_id, status, media_type, slot, n)
        VALUES (OLD.created_by, OLD.status, OLD.media_type, s, -1)
        ON CONFLICT (tenant_id, status, media_type, slot) DO UPDATE SET n = c.n - 1;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO analysis_counts AS c (tenant_id, status, media_type, slot, n)
        VALUES (NEW.created_by, NEW.status, NEW.media_type, s, 1)
        ON CONFLICT (tenant_id, status, media_type, slot) DO UPDATE SET n = c.n + 1;
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
  await sql`DROP TABLE IF EXISTS analysis_counts`.execute(db);
}
