/**
 * One name for one idea: the analysis table's `created_by` becomes `tenant_id`, as in
 * every other table. Indexes and the trigger's `UPDATE OF` column list follow the
 * column by itself; the trigger functions name the column in their bodies, so they are
 * replaced with the new name (and put back by `down`).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { COUNTER_SLOTS } from './0002-analysis-counts.ts';

/** The trigger functions of 0002–0004, written for a tenant column called `column`. */
function triggerFunctions(column: 'tenant_id' | 'created_by'): RawBuilder<unknown>[] {
  const c = sql.raw(column);
  return [
    sql`
    CREATE OR REPLACE FUNCTION analysis_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM analysis_counts_bump(NEW.${c}, NEW.status, NEW.media_type, 1);
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM analysis_counts_bump(OLD.${c}, OLD.status, OLD.media_type, -1);
      ELSIF (OLD.${c}, OLD.status, OLD.media_type) = (NEW.${c}, NEW.status, NEW.media_type) THEN
        RETURN NULL;
      ELSIF (OLD.${c}, OLD.status, OLD.media_type) < (NEW.${c}, NEW.status, NEW.media_type) THEN
        PERFORM analysis_counts_bump(OLD.${c}, OLD.status, OLD.media_type, -1);
        PERFORM analysis_counts_bump(NEW.${c}, NEW.status, NEW.media_type, 1);
      ELSE
        PERFORM analysis_counts_bump(NEW.${c}, NEW.status, NEW.media_type, 1);
        PERFORM analysis_counts_bump(OLD.${c}, OLD.status, OLD.media_type, -1);
      END IF;
      RETURN NULL;
    END $$`,
    sql`
    CREATE OR REPLACE FUNCTION analysis_counts_insert_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO analysis_counts AS c (tenant_id, status, media_type, slot, n)
      SELECT ${c}, status, media_type, (pg_backend_pid() % ${sql.lit(COUNTER_SLOTS)})::smallint, count(*)
      FROM new_rows GROUP BY ${c}, status, media_type
      ORDER BY ${c}, status, media_type
      ON CONFLICT (tenant_id, status, media_type, slot) DO UPDATE SET n = c.n + excluded.n;
      RETURN NULL;
    END $$`,
    sql`
    CREATE OR REPLACE FUNCTION analysis_notify_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('analysis_changed', NEW.${c} || ' ' || NEW.id::text);
      RETURN NULL;
    END $$`,
    sql`
    CREATE OR REPLACE FUNCTION analysis_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE tenants text;
    BEGIN
      SELECT string_agg(DISTINCT ${c}, ',') INTO tenants FROM new_rows;
      IF tenants IS NOT NULL THEN
        PERFORM pg_notify('analysis_changed', 'insert ' || tenants);
      END IF;
      RETURN NULL;
    END $$`,
  ];
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE media_analysis_requests RENAME COLUMN created_by TO tenant_id`.execute(db);
  for (const fn of triggerFunctions('tenant_id')) await fn.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE media_analysis_requests RENAME COLUMN tenant_id TO created_by`.execute(db);
  for (const fn of triggerFunctions('created_by')) await fn.execute(db);
}
