/**
 * Stage changes in the analysis event log: the live streams' `stage` events and the
 * opt-in `analysis.stage_completed` webhook.
 *
 * The per-stage row (migration 0006) already changes as each stage starts, finishes,
 * fails, is skipped or stalls. Its trigger now also appends a `stage` event (through
 * `analysis_event_append`, so ids stay in commit order per tenant and `Last-Event-ID`
 * resumes over stage events too; `state` is started/finished/failed/skipped/stalled,
 * `stage_status` the row's own status as the status route lists it) and, when a stage
 * finishes, adds outbox rows for the endpoints subscribed to `analysis.stage_completed` (never for a request's own
 * `webhook_url`: `webhook_outbox_add` leaves that out). Planned (`pending`) rows and
 * rewrites that do not change the status add nothing.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION analysis_stage_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE state text; ev bigint;
    BEGIN
      PERFORM pg_notify('analysis_stage_changed', json_build_object(
        'analysis_id', NEW.analysis_id, 'tenant_id', NEW.tenant_id, 'stage', NEW.stage,
        'status', NEW.status, 'attempt', NEW.attempt, 'error_code', NEW.error_code)::text);
      PERFORM pg_notify('analysis_changed', NEW.tenant_id || ' ' || NEW.analysis_id::text);
      IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN RETURN NULL; END IF;
      state := CASE NEW.status
        WHEN 'running' THEN 'started' WHEN 'done' THEN 'finished' WHEN 'failed' THEN 'failed'
        WHEN 'skipped' THEN 'skipped' WHEN 'stalled' THEN 'stalled' ELSE NULL END;
      IF state IS NULL THEN RETURN NULL; END IF;
      ev := analysis_event_append(NEW.tenant_id, NEW.analysis_id, 'stage', jsonb_strip_nulls(jsonb_build_object(
        'stage', NEW.stage, 'state', state, 'stage_status', NEW.status, 'attempt', NEW.attempt, 'duration_ms', NEW.duration_ms,
        'reason', NEW.reason, 'error_code', NEW.error_code, 'error_message', left(NEW.error_message, 500))));
      IF state = 'finished' THEN
        PERFORM webhook_outbox_add(ev, NEW.tenant_id, NEW.analysis_id, 'analysis.stage_completed', NULL);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION analysis_stage_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('analysis_stage_changed', json_build_object(
        'analysis_id', NEW.analysis_id, 'tenant_id', NEW.tenant_id, 'stage', NEW.stage,
        'status', NEW.status, 'attempt', NEW.attempt, 'error_code', NEW.error_code)::text);
      PERFORM pg_notify('analysis_changed', NEW.tenant_id || ' ' || NEW.analysis_id::text);
      RETURN NULL;
    END $$`.execute(db);
}
