/**
 * The initial schema: analysis requests, model results, media files, contact sheets,
 * the audit log, API keys, idempotency keys and worker heartbeats.
 * Every bounded field has a CHECK; reads filter soft-deleted rows through partial indexes.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pgcrypto`.execute(db);

  await sql`
    CREATE TABLE media_analysis_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      correlation_id text NOT NULL CHECK (length(correlation_id) BETWEEN 1 AND 128),
      prompt text NOT NULL CHECK (length(prompt) BETWEEN 1 AND 20000),
      prompt_hash char(64) NOT NULL CHECK (prompt_hash ~ '^[0-9a-f]{64}$'),
      source_url text CHECK (source_url IS NULL OR source_url ~* '^https?://'),
      original_filename text CHECK (original_filename IS NULL OR length(original_filename) <= 255),
      media_type text NOT NULL DEFAULT 'unknown'
        CHECK (media_type IN ('video', 'audio', 'document', 'image', 'unknown')),
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'deleted')),
      progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      analysis_config jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(analysis_config) = 'object'),
      analysis_options jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(analysis_options) = 'object'),
      results jsonb CHECK (results IS NULL OR jsonb_typeof(results) = 'object'),
      model_used text,
      latency_ms integer CHECK (latency_ms IS NULL OR latency_ms >= 0),
      error_message text,
      error_code text CHECK (error_code IS NULL OR error_code ~ '^[A-Z][A-Z0-9_]*$'),
      retry_count smallint NOT NULL DEFAULT 0 CHECK (retry_count BETWEEN 0 AND 10),
      metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
      created_by text NOT NULL,
      job_id bigint,
      version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      completed_at timestamptz,
      deleted_at timestamptz,
      CHECK ((status = 'deleted') = (deleted_at IS NOT NULL)),
      CHECK (source_url IS NOT NULL OR original_filename IS NOT NULL)
    )`.execute(db);
  // History: newest first per tenant, with the id as tie-breaker for keyset paging.
  await sql`CREATE INDEX media_analysis_requests_tenant_created_idx
    ON media_analysis_requests (created_by, created_at DESC, id DESC) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX media_analysis_requests_tenant_status_created_idx
    ON media_analysis_requests (created_by, status, created_at DESC, id DESC) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX media_analysis_requests_tenant_type_created_idx
    ON media_analysis_requests (created_by, media_type, created_at DESC, id DESC) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX media_analysis_requests_tenant_updated_idx
    ON media_analysis_requests (created_by, updated_at DESC, id DESC) WHERE deleted_at IS NULL`.execute(db);
  // Operations: queue depth by status, oldest pending first.
  await sql`CREATE INDEX media_analysis_requests_status_created_idx
    ON media_analysis_requests (status, created_at)`.execute(db);
  await sql`CREATE INDEX media_analysis_requests_prompt_hash_idx
    ON media_analysis_requests (created_by, prompt_hash) WHERE deleted_at IS NULL`.execute(db);

  await sql`
    CREATE TABLE media_analysis_results (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      provider text NOT NULL,
      model text NOT NULL,
      prompt_used text NOT NULL,
      input_tokens integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
      output_tokens integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
      cost_usd numeric(14, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
      latency_ms integer NOT NULL CHECK (latency_ms >= 0),
      confidence numeric(4, 3) CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
      finish_reason text,
      answer text,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX media_analysis_results_analysis_idx ON media_analysis_results (analysis_id, created_at)`.execute(
    db,
  );

  await sql`
    CREATE TABLE media_files (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      area text NOT NULL CHECK (area IN ('uploads', 'frames', 'contact-sheets', 'outputs', 'temp')),
      storage_path text NOT NULL,
      relative_path text NOT NULL CHECK (relative_path !~ '(^/|\\.\\.)'),
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      mime_type text,
      sha256 char(64) CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
      retention_days integer CHECK (retention_days IS NULL OR retention_days >= 0),
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX media_files_relative_path_live_idx ON media_files (relative_path) WHERE deleted_at IS NULL`.execute(
    db,
  );
  await sql`CREATE INDEX media_files_analysis_idx ON media_files (analysis_id)`.execute(db);
  await sql`CREATE INDEX media_files_expires_idx ON media_files (expires_at) WHERE deleted_at IS NULL AND expires_at IS NOT NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE contact_sheets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      analysis_id uuid NOT NULL REFERENCES media_analysis_requests (id) ON DELETE CASCADE,
      media_file_id uuid REFERENCES media_files (id) ON DELETE SET NULL,
      path text NOT NULL,
      frames_count integer NOT NULL CHECK (frames_count > 0),
      grid text NOT NULL CHECK (grid ~ '^[1-9][0-9]*x[1-9][0-9]*$'),
      resolution text NOT NULL CHECK (resolution ~ '^[1-9][0-9]*x[1-9][0-9]*$'),
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      checksum char(64) NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX contact_sheets_analysis_idx ON contact_sheets (analysis_id)`.execute(db);

  await sql`
    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      table_name text NOT NULL,
      record_id text NOT NULL,
      action text NOT NULL,
      old_values jsonb,
      new_values jsonb,
      performed_by text NOT NULL,
      ip_address inet,
      correlation_id text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX audit_log_record_idx ON audit_log (table_name, record_id, created_at)`.execute(db);
  await sql`CREATE INDEX audit_log_created_idx ON audit_log (created_at)`.execute(db);

  await sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id text NOT NULL CHECK (tenant_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      key_prefix text NOT NULL,
      key_hash char(64) NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
      is_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE idempotency_keys (
      tenant_id text NOT NULL,
      key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
      request_hash char(64) NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
      response_status smallint,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, key),
      CHECK ((state = 'completed') = (response_status IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`.execute(db);

  await sql`
    CREATE TABLE worker_heartbeats (
      instance_id text PRIMARY KEY,
      hostname text NOT NULL,
      pid integer NOT NULL,
      worker_ids text[] NOT NULL DEFAULT '{}',
      started_at timestamptz NOT NULL DEFAULT now(),
      last_beat_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'worker_heartbeats',
    'idempotency_keys',
    'api_keys',
    'audit_log',
    'contact_sheets',
    'media_files',
    'media_analysis_results',
    'media_analysis_requests',
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
