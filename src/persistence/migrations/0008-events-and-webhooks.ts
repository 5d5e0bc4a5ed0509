/**
 * The analysis event log (live events, `Last-Event-ID` resume) and the webhook outbox.
 *
 * A row trigger on `media_analysis_requests` writes one `analysis_events` row per status
 * or progress change, in the transaction that made the change, and NOTIFYs it (delivered
 * at commit). For a terminal status it also inserts one `webhook_deliveries` row per
 * subscribed endpoint (and one for the analysis's own `webhook_url`): the outbox rows
 * commit with the state change or not at all, so a crash between "completed" and
 * "notify" cannot drop a callback.
 *
 * Ordering: each event insert first takes a per-tenant transaction-level advisory lock,
 * so within a tenant event ids are allocated in commit order. A reader that has seen id N
 * of a tenant can never later see a smaller id of that tenant commit — resuming from a
 * `Last-Event-ID` has no gaps.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';

/** The analysis table's tenant column: `created_by` before migration 0005, `tenant_id` after. */
async function tenantColumn(db: Kysely<unknown>): Promise<string> {
  const r = await sql<{ name: string }>`
    SELECT column_name AS name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'media_analysis_requests'
      AND column_name IN ('tenant_id', 'created_by')`.execute(db);
  return r.rows.some((row) => row.name === 'tenant_id') ? 'tenant_id' : 'created_by';
}

function functions(column: string): RawBuilder<unknown>[] {
  const c = sql.raw(column);
  return [
    // Lock, insert, notify: the one way an event is written.
    sql`
    CREATE OR REPLACE FUNCTION analysis_event_append(t text, a uuid, kind text, payload jsonb)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE ev analysis_events;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended('analysis_events:' || t, 0));
      INSERT INTO analysis_events (tenant_id, analysis_id, type, data)
      VALUES (t, a, kind, payload) RETURNING * INTO ev;
      PERFORM pg_notify('analysis_events', json_build_object(
        'id', ev.id, 'tenant_id', ev.tenant_id, 'analysis_id', ev.analysis_id,
        'type', ev.type, 'data', ev.data, 'created_at', ev.created_at)::text);
      RETURN ev.id;
    END $$`,
    // Outbox rows for an event: one per enabled endpoint subscribed to it, plus the
    // analysis's own webhook_url. The payload is built from the event when it is sent.
    sql`
    CREATE OR REPLACE FUNCTION webhook_outbox_add(ev bigint, t text, a uuid, event_type text, own_url text)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE n int := 0; k int;
    BEGIN
      INSERT INTO webhook_deliveries (tenant_id, endpoint_id, url, event_id, analysis_id, event_type)
      SELECT t, e.id, e.url, ev, a, event_type FROM webhook_endpoints e
      WHERE e.tenant_id = t AND e.enabled AND event_type = ANY (e.events)
      ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF own_url IS NOT NULL AND event_type <> 'analysis.stage_completed' THEN
        INSERT INTO webhook_deliveries (tenant_id, endpoint_id, url, event_id, analysis_id, event_type)
        VALUES (t, NULL, own_url, ev, a, event_type);
        n := n + 1;
      END IF;
      IF n > 0 THEN PERFORM pg_notify('webhook_due', ''); END IF;
    END $$`,
    sql`
    CREATE OR REPLACE FUNCTION analysis_events_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE kind text; payload jsonb; ev bigint;
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        kind := CASE WHEN NEW.status IN ('completed', 'failed', 'cancelled', 'deleted') THEN NEW.status ELSE 'status' END;
        payload := jsonb_strip_nulls(jsonb_build_object(
          'status', NEW.status, 'previous_status', OLD.status, 'progress', NEW.progress,
          'media_type', NEW.media_type, 'error_code', NEW.error_code,
          'error_message', left(NEW.error_message, 500),
          'summary', left(NEW.results ->> 'summary', 500), 'retry_count', NEW.retry_count));
      ELSIF NEW.progress IS DISTINCT FROM OLD.progress AND NEW.status = 'processing' THEN
        kind := 'progress';
        payload := jsonb_build_object('status', NEW.status, 'progress', NEW.progress);
      ELSE
        RETURN NULL;
      END IF;
      ev := analysis_event_append(NEW.${c}, NEW.id, kind, payload);
      IF kind IN ('completed', 'failed', 'cancelled', 'deleted') THEN
        PERFORM webhook_outbox_add(ev, NEW.${c}, NEW.id, 'analysis.' || kind, NEW.webhook_url);
      END IF;
      RETURN NULL;
    END $$`,
  ];
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE media_analysis_requests ADD COLUMN webhook_url text`.execute(db);
  await sql`
    CREATE TABLE analysis_events (
      id bigserial PRIMARY KEY,
      tenant_id text NOT NULL,
      analysis_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX analysis_events_analysis ON analysis_events (analysis_id, id)`.execute(db);
  await sql`CREATE INDEX analysis_events_tenant ON analysis_events (tenant_id, id)`.execute(db);
  await sql`CREATE INDEX analysis_events_created ON analysis_events (created_at)`.execute(db);

  await sql`
    CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id text NOT NULL,
      url text NOT NULL CHECK (length(url) <= 2048),
      description text NOT NULL DEFAULT '',
      events text[] NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      failing_since timestamptz,
      disabled_at timestamptz,
      disabled_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id)`.execute(db);
  // Signs deliveries to a request's own webhook_url (no endpoint, so no endpoint secret).
  await sql`
    CREATE TABLE tenant_webhook_secrets (
      tenant_id text PRIMARY KEY,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id text NOT NULL,
      endpoint_id uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
      url text NOT NULL,
      event_id bigint,
      analysis_id uuid,
      event_type text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz,
      last_status int,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      UNIQUE (endpoint_id, event_id)
    )`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC)`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_analysis ON webhook_deliveries (analysis_id)`.execute(db);
  await sql`
    CREATE TABLE webhook_attempts (
      id bigserial PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt int NOT NULL,
      started_at timestamptz NOT NULL,
      latency_ms int NOT NULL,
      status_code int,
      response_body text,
      error text
    )`.execute(db);
  await sql`CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id)`.execute(db);

  for (const fn of functions(await tenantColumn(db))) await fn.execute(db);
  await sql`
    CREATE TRIGGER media_analysis_requests_events
    AFTER UPDATE ON media_analysis_requests
    FOR EACH ROW EXECUTE FUNCTION analysis_events_on_update()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS media_analysis_requests_events ON media_analysis_requests`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_events_on_update()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS webhook_outbox_add(bigint, text, uuid, text, text)`.execute(db);
  await sql`DROP FUNCTION IF EXISTS analysis_event_append(text, uuid, text, jsonb)`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_attempts`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_deliveries`.execute(db);
  await sql`DROP TABLE IF EXISTS tenant_webhook_secrets`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_endpoints`.execute(db);
  await sql`DROP TABLE IF EXISTS analysis_events`.execute(db);
  await sql`ALTER TABLE media_analysis_requests DROP COLUMN IF EXISTS webhook_url`.execute(db);
}
