/**
 * Per-stage status, stored as it happens: one row per (analysis, stage), rewritten at
 * each attempt. `units`/`unit` record how much media the stage worked on (minutes of
 * audio/video, pages, megabytes) so expected durations can be learned from past runs.
 * Every change sends NOTIFY analysis_stage_changed (a JSON payload, for live stage
 * events) and analysis_changed (so cached statuses are dropped, as for the analysis row).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE analysis_stages (
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      stage text NOT NULL CHECK (stage ~ '^[a-z][a-z0-9_]{0,62}$'),
      tenant_id text NOT NULL,
      position smallint NOT NULL CHECK (position >= 0),
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed', 'stalled')),
      reason text CHECK (reason IS NULL OR length(reason) <= 500),
      error_code text CHECK (error_code IS NULL OR error_code ~ '^[A-Z][A-Z0-9_]*$'),
      error_message text CHECK (error_message IS NULL OR length(error_message) <= 2000),
      attempt smallint NOT NULL DEFAULT 1 CHECK (attempt >= 1),
      units double precision CHECK (units IS NULL OR units >= 0),
      unit text CHECK (unit IS NULL OR unit IN ('minute', 'page', 'megabyte')),
      started_at timestamptz,
      stalled_at timestamptz,
      finished_at timestamptz,
      duration_ms integer CHECK (duration_ms IS NULL OR duration_ms >= 0),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (analysis_id, stage)
    )`.execute(db);
  // Learning expected durations: the latest finished runs of one stage per unit.
  await sql`CREATE INDEX analysis_stages_learning_idx
    ON analysis_stages (stage, unit, finished_at DESC) WHERE status = 'done' AND units > 0`.execute(db);
  await sql`
    CREATE FUNCTION analysis_stage_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('analysis_stage_changed', json_build_object(
        'analysis_id', NEW.analysis_id, 'tenant_id', NEW.tenant_id, 'stage', NEW.stage,
        'status', NEW.status, 'attempt', NEW.attempt, 'error_code', NEW.error_code)::text);
      PERFORM pg_notify('analysis_changed', NEW.tenant_id || ' ' || NEW.analysis_id::text);
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER analysis_stages_notify
    AFTER INSERT OR UPDATE ON analysis_stages FOR EACH ROW EXECUTE FUNCTION analysis_stage_notify()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS analysis_stages_notify ON analysis_stages`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_stage_notify()`.execute(db);
  await sql`DROP TABLE IF EXISTS analysis_stages`.execute(db);
}
