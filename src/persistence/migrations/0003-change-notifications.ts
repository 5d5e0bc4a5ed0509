/**
 * Change notifications for cache invalidation across processes: every UPDATE of an
 * analysis sends NOTIFY analysis_changed '<tenant> <id>' (delivered at commit), and
 * every INSERT statement sends one NOTIFY listing the tenants that got new rows (one
 * per statement, so group-committed creates pay for it once per batch).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION analysis_notify_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('analysis_changed', NEW.created_by || ' ' || NEW.id::text);
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION analysis_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE tenants text;
    BEGIN
      SELECT string_agg(DISTINCT created_by, ',') INTO tenants FROM new_rows;
      IF tenants IS NOT NULL THEN
        PERFORM pg_notify('analysis_changed', 'insert ' || tenants);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_notify_update
    AFTER UPDATE ON media_analysis_requests FOR EACH ROW EXECUTE FUNCTION analysis_notify_update()`.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_notify_insert
    AFTER INSERT ON media_analysis_requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_notify_insert()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_notify_insert ON media_analysis_requests`.execute(db);
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_notify_update ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_notify_insert()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_notify_update()`.execute(db);
}
